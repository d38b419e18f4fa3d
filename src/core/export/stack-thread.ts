import { Worker } from 'node:worker_threads';
import type { StackReply, StackRequest } from './stack-worker.js';

type Request = StackRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

/**
 * The one stack worker of the process, started on first use. It is
 * referenced only while a request is pending, so an idle worker never keeps
 * the process alive.
 */
class StackThread {
  private worker: Worker | undefined;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (out: ArrayBuffer | undefined) => void; reject: (error: Error) => void }>();

  /** Adds a frame into the shared sums (zeroed first when `reset`). */
  async add(sum: SharedArrayBuffer, length: number, data: Uint8Array, reset: boolean): Promise<void> {
    if (data.buffer instanceof SharedArrayBuffer) {
      await this.send({ op: 'add', sum, length, reset, src: data.buffer, offset: data.byteOffset });
      return;
    }
    // Other readers (the encoders) still use the frame: the worker gets a copy it may own.
    const copy = new Uint8Array(data.length);
    copy.set(data);
    await this.send({ op: 'add', sum, length, reset, src: copy.buffer, offset: 0 }, [copy.buffer]);
  }

  async finish(sum: SharedArrayBuffer, length: number, frames: number): Promise<Buffer> {
    return Buffer.from((await this.send({ op: 'finish', sum, length, frames }))!);
  }

  private send(request: Request, transfer: ArrayBuffer[] = []): Promise<ArrayBuffer | undefined> {
    const worker = this.ensure();
    const id = this.nextId++;
    if (this.pending.size === 0) worker.ref();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ ...request, id }, transfer);
    });
  }

  private ensure(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./stack-worker.js', import.meta.url));
    worker.on('message', (reply: StackReply) => {
      const waiter = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (this.pending.size === 0) worker.unref();
      if (reply.error !== undefined) waiter?.reject(new Error(`stack worker: ${reply.error}`));
      else waiter?.resolve(reply.out);
    });
    worker.on('error', (error) => this.failAll(error));
    worker.on('exit', () => {
      this.worker = undefined;
      this.failAll(new Error('stack worker exited'));
    });
    // After the listeners: adding a 'message' listener refs the worker's port again (Node 20).
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private failAll(error: Error): void {
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  }
}

export const stackThread = new StackThread();
