import type { FrameGeometry } from '../frame.js';
import { description, invalidField, PicamError } from '../errors.js';
import { outputSize } from './frame-stream.js';

export interface RequestedOutput {
  encoding: 'jpeg' | 'raw' | 'metadata';
  width: number;
  height: number;
  pixel_format: 'rgb24' | 'gray8' | 'yuv420';
}

/**
 * Refuses, before anything is decoded or encoded, a stream whose frames the
 * service would have to inflate or could never send:
 * - no upscaling: an 8192x8192 RGB frame from a 320x240 camera is 201 MB of
 *   invented pixels per frame, and it can never be sent anyway;
 * - a raw frame must fit `maxFrameBytes` (the adapter's message limit),
 *   computed exactly from its size and layout. JPEG has no exact bound but,
 *   never larger than the camera's picture, stays far below raw.
 * So what one subscriber costs is at most one camera-sized decode and one
 * camera-sized encode at a time.
 */
export function checkStreamOutput(camera: FrameGeometry, wanted: RequestedOutput, maxFrameBytes: number | undefined): void {
  for (const side of ['width', 'height'] as const) {
    if (wanted[side] > camera[side]) {
      throw invalidField(side, `integer <= ${camera[side]} (the camera's ${side}; frames are never upscaled)`, wanted[side]);
    }
  }
  const size = outputSize(camera.width, camera.height, wanted.width, wanted.height);
  // One side given: the other follows the aspect ratio and may pass the camera's.
  for (const side of ['width', 'height'] as const) {
    if (size[side] > camera[side]) {
      const given = side === 'width' ? 'height' : 'width';
      throw invalidField(given, `a size whose ${side} at the camera's aspect ratio stays <= ${camera[side]}`, description(`${wanted[given]} (${side} ${size[side]})`));
    }
  }
  if (wanted.encoding !== 'raw' || maxFrameBytes === undefined) return;
  const pixels = size.width * size.height;
  const bytes = wanted.pixel_format === 'rgb24' ? pixels * 3 : wanted.pixel_format === 'gray8' ? pixels : Math.ceil(pixels * 1.5);
  if (bytes > maxFrameBytes) {
    throw new PicamError(
      'INVALID_ARGUMENT',
      `width: a ${size.width}x${size.height} ${wanted.pixel_format} frame is ${bytes} bytes, more than the ${maxFrameBytes} a message may carry; ask for a smaller width/height, PIXEL_FORMAT_GRAY8 or ENCODING_JPEG`,
      { field: 'width' },
    );
  }
}
