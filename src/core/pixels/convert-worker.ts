import { parentPort } from 'node:worker_threads';
import type { ColorRange } from '../frame.js';
import type { WorkerReply } from '../workers/request-worker.js';
import { i420ToRgb } from './i420-to-rgb.js';

/**
 * Pixel work kept off the main thread, where capture runs: I420 to RGB (the
 * stacker's sums have their own worker, export/stack-worker.ts).
 */
export type ConvertRequest =
  | {
      op: 'i420';
      id: number;
      width: number;
      height: number;
      range: ColorRange;
      src: SharedArrayBuffer | ArrayBuffer;
      offset: number;
      /** The caller's shared output (no reply buffer then): no 6.2 MB allocation and page faults per 1080p frame. */
      dst?: SharedArrayBuffer;
      dstOffset?: number;
    };


parentPort?.on('message', (request: ConvertRequest) => {
  try {
    switch (request.op) {
      case 'i420': {
        const bytes = request.width * request.height * 3;
        const src = new Uint8Array(request.src, request.offset);
        if (request.dst !== undefined) {
          i420ToRgb(src, request.width, request.height, new Uint8Array(request.dst, request.dstOffset ?? 0, bytes), request.range);
          reply({ id: request.id });
          return;
        }
        const out = new ArrayBuffer(bytes);
        i420ToRgb(src, request.width, request.height, new Uint8Array(out), request.range);
        reply({ id: request.id, out }, [out]);
        return;
      }
    }
  } catch (error) {
    reply({ id: request.id, error: error instanceof Error ? error.message : String(error) });
  }
});

function reply(message: WorkerReply, transfer: ArrayBuffer[] = []): void {
  parentPort!.postMessage(message, transfer);
}
