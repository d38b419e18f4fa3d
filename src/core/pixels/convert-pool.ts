import { Worker } from 'node:worker_threads';
import type { ColorRange } from '../frame.js';
import type { ConvertReply, ConvertRequest } from './convert-worker.js';

type Request = ConvertRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

/**
 * One worker thread for pixel work that sharp cannot do: I420 to RGB (~2 ms
 * per 1080p frame in WebAssembly SIMD, i420-simd.ts) and the stacker's sums. On the main thread that
 * time would delay reading the camera pipe; in the worker it only costs a
 * core that exports and streams use anyway. Frames travel as shared
 * buffers (export pool buffers, read in place) or transferred copies.
 */
class ConvertPool {
  private worker: Worker | undefined;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (out: ArrayBuffer | undefined) => void; reject: (error: Error) => void }>();

  /**
   * RGB of an I420 frame. With `into` on shared memory (a pool buffer the
   * caller reuses) the worker writes there and that is what resolves; else a
   * fresh buffer, which costs ~2 ms of allocation and page faults a 1080p frame.
   */
  async i420ToRgb(src: Uint8Array, width: number, height: number, range: ColorRange, into?: Buffer): Promise<Buffer> {
    const { buffer, offset, transfer } = shareOrCopy(src);
    const bytes = width * height * 3;
    if (into !== undefined && into.length < bytes) throw new RangeError(`i420ToRgb: output of ${into.length} bytes, ${width}x${height} RGB needs ${bytes}`);
    if (into?.buffer instanceof SharedArrayBuffer) {
      await this.send({ op: 'i420', width, height, range, src: buffer, offset, dst: into.buffer, dstOffset: into.byteOffset }, transfer);
      return into.subarray(0, bytes);
    }
    const out = Buffer.from((await this.send({ op: 'i420', width, height, range, src: buffer, offset }, transfer))!);
    if (into === undefined) return out;
    out.copy(into);
    return into.subarray(0, bytes);
  }

  /** Adds a frame into a stack's shared accumulator (zeroed first when `reset`). */
  async stackAdd(sum: SharedArrayBuffer, data: Uint8Array, reset: boolean): Promise<void> {
    const { buffer, offset, transfer } = shareOrCopy(data);
    await this.send({ op: 'stack-add', sum, reset, src: buffer, offset, length: data.length }, transfer);
  }

  /** The stacked image of `frames` frames summed into `sum`. */
  async stackFinish(sum: SharedArrayBuffer, length: number, frames: number): Promise<Buffer> {
    const out = await this.send({ op: 'stack-finish', sum, length, frames });
    return Buffer.from(out!);
  }

  private send(request: Request, transfer: ArrayBuffer[] = []): Promise<ArrayBuffer | undefined> {
    const worker = this.ensure();
    const id = this.nextId++;
    // Referenced only while work is pending: an idle worker must not keep the process alive,
    // and a pending reply must (a test or a short script awaits it with nothing else running).
    if (this.pending.size === 0) worker.ref();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ ...request, id }, transfer);
    });
  }

  private ensure(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./convert-worker.js', import.meta.url));
    worker.on('message', (reply: ConvertReply) => {
      const waiter = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (this.pending.size === 0) worker.unref();
      if (reply.error !== undefined) waiter?.reject(new Error(`pixel worker: ${reply.error}`));
      else waiter?.resolve(reply.out);
    });
    worker.on('error', (error) => this.failAll(error));
    worker.on('exit', () => {
      this.worker = undefined;
      this.failAll(new Error('pixel conversion worker exited'));
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

/**
 * Shared memory goes to the worker as is; anything else as a private copy
 * (the ring slot may be overwritten meanwhile, and a transfer needs its own buffer).
 */
function shareOrCopy(data: Uint8Array): { buffer: SharedArrayBuffer | ArrayBuffer; offset: number; transfer: ArrayBuffer[] } {
  if (data.buffer instanceof SharedArrayBuffer) return { buffer: data.buffer, offset: data.byteOffset, transfer: [] };
  const copy = new Uint8Array(data.length);
  copy.set(data);
  return { buffer: copy.buffer, offset: 0, transfer: [copy.buffer] };
}

export const convertPool = new ConvertPool();
