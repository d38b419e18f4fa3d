import { Code, PicamClientError } from './client-error.js';
import type { WatchEventsResponse } from './gen/picam/v1/camera_pb.js';
import type { ServerStream } from './promise-client.js';

/**
 * A WatchEvents call: iterate it (once) for night transitions and event
 * progress; `ready` resolves when the server says the subscription is live
 * (its first message, `subscribed`), so whatever the caller triggers after
 * that is seen. Breaking out of the loop, `cancel()` or the call's signal ends it.
 */
export interface EventWatch extends AsyncGenerator<WatchEventsResponse, void, undefined> {
  /** Resolves once the subscription is live; rejects with the call's error if it fails first. */
  readonly ready: Promise<void>;
  cancel(): void;
}

export function eventWatch(call: ServerStream<WatchEventsResponse>): EventWatch {
  const iterator = call.stream[Symbol.asyncIterator]();
  // Read the first message now, not when iteration starts: callers await `ready` before they loop.
  const first = iterator.next();
  const ready = first.then((head) => {
    if (head.done) throw new PicamClientError(Code.UNAVAILABLE, 'WatchEvents ended before the subscription was live');
  });
  // A caller that only iterates still sees the failure there; this keeps `ready` from going unhandled.
  ready.catch(() => undefined);

  async function* messages(): AsyncGenerator<WatchEventsResponse, void, undefined> {
    try {
      const head = await first;
      if (head.done) return;
      // A server older than the `subscribed` message sends no such message: its first one is an event.
      if (head.value.kind.case !== 'subscribed') yield head.value;
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        yield next.value;
      }
    } finally {
      call.cancel();
      await iterator.return?.();
    }
  }
  const watch = messages();
  const finish = watch.return.bind(watch);
  return Object.assign(watch, {
    ready,
    cancel: () => call.cancel(),
    // Cancels even a watch that was never iterated (a generator's own return() would not).
    return: (value: void) => {
      call.cancel();
      return finish(value);
    },
  });
}
