import type { WasmMemory } from '../pixels/wasm-assembler.js';
import { RequestWorker, shareOrCopy } from '../workers/request-worker.js';
import type { StackRequest } from './stack-worker.js';

type Request = StackRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

/**
 * The one stack worker of the process, apart from the pixel worker so sums
 * do not queue behind I420 conversions.
 */
class StackThread {
  private readonly thread = new RequestWorker<Request>(new URL('./stack-worker.js', import.meta.url), 'stack worker');

  /** Adds a frame into the shared sums (zeroed first when `reset`). */
  async add(memory: WasmMemory | SharedArrayBuffer, length: number, data: Uint8Array, reset: boolean): Promise<void> {
    // Other readers (the encoders) may still use an unshared frame: the worker then gets a copy it may own.
    const { buffer, offset, transfer } = shareOrCopy(data);
    await this.thread.send({ op: 'add', memory, length, reset, src: buffer, offset }, transfer);
  }

  async finish(memory: WasmMemory | SharedArrayBuffer, length: number, frames: number): Promise<Buffer> {
    return Buffer.from((await this.thread.send({ op: 'finish', memory, length, frames }))!);
  }
}

export const stackThread = new StackThread();
