import { parentPort } from 'node:worker_threads';
import type { ColorRange } from '../frame.js';
import { i420ToRgb } from './i420-to-rgb.js';
import { stackAdd, stackFinish } from './stack-sum.js';

/**
 * Pixel work kept off the main thread, where capture runs: I420 to RGB, and
 * the dark-frame stacker's per-pixel sums (6.2 M additions per 1080p frame).
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
    }
  | {
      op: 'stack-add';
      id: number;
      /** Uint32 accumulator, one per byte of the frame; zeroed first when `reset`. */
      sum: SharedArrayBuffer;
      reset: boolean;
      /** The frame's bytes: shared (an export pool buffer, read in place) or a transferred copy. */
      src: SharedArrayBuffer | ArrayBuffer;
      offset: number;
      length: number;
    }
  | { op: 'stack-finish'; id: number; sum: SharedArrayBuffer; length: number; frames: number };

export interface ConvertReply {
  id: number;
  out?: ArrayBuffer;
  error?: string;
}

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
      case 'stack-add':
        stackAdd(new Uint32Array(request.sum, 0, request.length), new Uint8Array(request.src, request.offset, request.length), request.reset);
        reply({ id: request.id });
        return;
      case 'stack-finish': {
        const out = new ArrayBuffer(request.length);
        stackFinish(new Uint32Array(request.sum, 0, request.length), request.frames, new Uint8Array(out));
        reply({ id: request.id, out }, [out]);
        return;
      }
    }
  } catch (error) {
    reply({ id: request.id, error: error instanceof Error ? error.message : String(error) });
  }
});

function reply(message: ConvertReply, transfer: ArrayBuffer[] = []): void {
  parentPort!.postMessage(message, transfer);
}
