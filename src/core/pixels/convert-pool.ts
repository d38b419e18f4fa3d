import { Worker } from 'node:worker_threads';
import type { ConvertReply, ConvertRequest } from './convert-worker.js';

/**
 * One worker thread for pixel conversions that sharp cannot do (I420 to
 * RGB: ~10 ms of JS per 1080p frame). On the main thread that time would
 * delay reading the camera pipe; in the worker it only costs a core that
 * exports and streams use anyway. Frames travel as transferred buffers.
 */
class ConvertPool {
  private worker: Worker | undefined;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (out: Buffer) => void; reject: (error: Error) => void }>();

  i420ToRgb(src: Uint8Array, width: number, height: number): Promise<Buffer> {
    const worker = this.ensure();
    const id = this.nextId++;
    // A private copy of the pixels: the ring slot may be overwritten meanwhile, and a transfer needs its own buffer.
    const copy = new Uint8Array(src.length);
    copy.set(src);
    const request: ConvertRequest = { id, width, height, src: copy.buffer };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage(request, [copy.buffer]);
    });
  }

  private ensure(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./convert-worker.js', import.meta.url));
    // Idle workers must not keep the process alive at shutdown.
    worker.unref();
    worker.on('message', (reply: ConvertReply) => {
      const waiter = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      waiter?.resolve(Buffer.from(reply.out));
    });
    worker.on('error', (error) => this.failAll(error));
    worker.on('exit', () => {
      this.worker = undefined;
      this.failAll(new Error('pixel conversion worker exited'));
    });
    this.worker = worker;
    return worker;
  }

  private failAll(error: Error): void {
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  }
}

export const convertPool = new ConvertPool();
