import { parentPort } from 'node:worker_threads';
import { StackSum } from '../pixels/stack-sum.js';
import type { WasmMemory } from '../pixels/wasm-assembler.js';
import type { WorkerReply } from '../workers/request-worker.js';

/**
 * The dark-frame stacker's sums, in a thread of their own: not on the event
 * loop, where capture runs, and not queued behind the I420 conversions of the
 * pixel worker that the same export keeps busy.
 */
export type StackRequest =
  | {
      op: 'add';
      id: number;
      /** The stack's memory (stack-sum.ts, stackMemory) for frames of `length` bytes. */
      memory: WasmMemory | SharedArrayBuffer;
      length: number;
      reset: boolean;
      /** The frame: shared memory read in place, or a transferred copy. */
      src: SharedArrayBuffer | ArrayBuffer;
      offset: number;
    }
  | { op: 'finish'; id: number; memory: WasmMemory | SharedArrayBuffer; length: number; frames: number };


parentPort?.on('message', (request: StackRequest) => {
  try {
    const sum = new StackSum(request.length, request.memory);
    if (request.op === 'add') {
      sum.add(new Uint8Array(request.src, request.offset, request.length), request.reset);
      parentPort!.postMessage({ id: request.id } satisfies WorkerReply);
      return;
    }
    const out = new ArrayBuffer(request.length);
    sum.finish(request.frames, new Uint8Array(out));
    parentPort!.postMessage({ id: request.id, out } satisfies WorkerReply, [out]);
  } catch (error) {
    parentPort!.postMessage({ id: request.id, error: error instanceof Error ? error.message : String(error) } satisfies WorkerReply);
  }
});
