import type { ColorRange } from '../frame.js';
import { RequestWorker, shareOrCopy } from '../workers/request-worker.js';
import type { ConvertRequest } from './convert-worker.js';

type Request = ConvertRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

/**
 * One worker thread for pixel work that sharp cannot do: I420 to RGB (~2 ms
 * per 1080p frame in WebAssembly SIMD, i420-simd.ts). On the main thread that
 * time would delay reading the camera pipe; in the worker it only costs a
 * core that exports and streams use anyway. Frames travel as shared
 * buffers (export pool buffers, read in place) or transferred copies.
 */
class ConvertPool {
  private readonly thread = new RequestWorker<Request>(new URL('./convert-worker.js', import.meta.url), 'pixel worker');

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
      await this.thread.send({ op: 'i420', width, height, range, src: buffer, offset, dst: into.buffer, dstOffset: into.byteOffset }, transfer);
      return into.subarray(0, bytes);
    }
    const out = Buffer.from((await this.thread.send({ op: 'i420', width, height, range, src: buffer, offset }, transfer))!);
    if (into === undefined) return out;
    out.copy(into);
    return into.subarray(0, bytes);
  }
}

export const convertPool = new ConvertPool();
