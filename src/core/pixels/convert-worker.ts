import { parentPort } from 'node:worker_threads';
import { i420ToRgb } from './i420-to-rgb.js';

/** Converts I420 frames to RGB off the main thread, where capture runs. */
export interface ConvertRequest {
  id: number;
  width: number;
  height: number;
  src: ArrayBuffer;
}

export interface ConvertReply {
  id: number;
  out: ArrayBuffer;
}

parentPort?.on('message', (request: ConvertRequest) => {
  const out = new ArrayBuffer(request.width * request.height * 3);
  i420ToRgb(new Uint8Array(request.src), request.width, request.height, new Uint8Array(out));
  const reply: ConvertReply = { id: request.id, out };
  parentPort!.postMessage(reply, [out]);
});
