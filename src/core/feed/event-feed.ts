/**
 * One publisher, many subscribers, none able to hurt another or the
 * publisher. Each iterator has its own bounded queue: a subscriber that
 * stops reading loses its oldest events (counted), never holds unbounded
 * memory and never slows publish(). Listeners run inside publish() but a
 * throw (or a rejected promise) is caught and reported, not propagated.
 */
export class EventFeed<T> {
  private readonly queues = new Set<Queue<T>>();
  private readonly listeners = new Set<(event: T) => unknown>();
  private droppedTotal = 0;

  /**
   * @param capacity events held for one iterator before the oldest is dropped
   * @param failed told of a listener that threw; never itself allowed to throw into publish()
   */
  constructor(
    private readonly capacity: number,
    private readonly failed: (error: unknown) => void,
  ) {
    if (!(capacity >= 1)) throw new RangeError(`capacity: expected integer >= 1, received ${capacity}`);
  }

  /** Events dropped from full queues, all subscribers since start. */
  get dropped(): number {
    return this.droppedTotal;
  }

  /** Iterators and listeners now. */
  get subscribers(): number {
    return this.queues.size + this.listeners.size;
  }

  publish(event: T): void {
    for (const queue of this.queues) {
      if (queue.push(event, this.capacity)) this.droppedTotal++;
    }
    for (const listener of this.listeners) {
      try {
        const result = listener(event);
        if (result instanceof Promise) result.catch((error: unknown) => this.report(error));
      } catch (error) {
        this.report(error);
      }
    }
  }

  /** Calls `listener` for each event (synchronously, isolated); returns the unsubscribe. */
  listen(listener: (event: T) => unknown): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Events from now on until `signal` aborts (the iterator then ends; events
   * still queued are dropped with it). Registered when called, not at the first
   * `next()`: anything published after this returns is delivered.
   */
  events(signal: AbortSignal): AsyncIterableIterator<T> & { readonly dropped: number } {
    const queue = new Queue<T>();
    const close = (): void => {
      this.queues.delete(queue);
      queue.end();
      signal.removeEventListener('abort', close);
    };
    if (signal.aborted) queue.end();
    else {
      this.queues.add(queue);
      signal.addEventListener('abort', close, { once: true });
    }
    return {
      get dropped() {
        return queue.dropped;
      },
      next: () => queue.next(),
      return: () => {
        close();
        return Promise.resolve({ done: true, value: undefined });
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  private report(error: unknown): void {
    try {
      this.failed(error);
    } catch {
      // The reporter failing must not take publish() down either.
    }
  }
}

/** One subscriber's events, oldest first, at most `capacity`. */
class Queue<T> {
  private readonly items: T[] = [];
  private waiting: ((result: IteratorResult<T, undefined>) => void) | undefined;
  private ended = false;
  dropped = 0;

  /** True when the oldest event was dropped to make room. */
  push(event: T, capacity: number): boolean {
    if (this.ended) return false;
    if (this.waiting) {
      const wake = this.waiting;
      this.waiting = undefined;
      wake({ done: false, value: event });
      return false;
    }
    let droppedOne = false;
    if (this.items.length >= capacity) {
      this.items.shift();
      this.dropped++;
      droppedOne = true;
    }
    this.items.push(event);
    return droppedOne;
  }

  next(): Promise<IteratorResult<T, undefined>> {
    if (this.ended) return Promise.resolve({ done: true, value: undefined });
    if (this.items.length > 0) return Promise.resolve({ done: false, value: this.items.shift()! });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  end(): void {
    this.ended = true;
    this.items.length = 0;
    const wake = this.waiting;
    this.waiting = undefined;
    wake?.({ done: true, value: undefined });
  }
}

/**
 * Runs `handle` for each event until the iterator ends (its signal aborted).
 * Never rejects: a throwing handler is reported to `failed` and the loop
 * goes on, so a fire-and-forget consumer cannot become an unhandled rejection.
 */
export async function eachEvent<T>(events: AsyncIterable<T>, handle: (event: T) => void, failed: (error: unknown) => void): Promise<void> {
  for await (const event of events) {
    try {
      handle(event);
    } catch (error) {
      failed(error);
    }
  }
}
