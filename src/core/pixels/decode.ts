import sharp from 'sharp';
import type { FrameGeometry } from '../frame.js';
import { convertPool } from './convert-pool.js';

/** Uncompressed pixels sharp and the npy writer take: RGB24, or grey with one channel. */
export interface PixelImage {
  data: Buffer;
  width: number;
  height: number;
  channels: 1 | 3;
}

/**
 * A frame in its native format to pixels, converted once and shared by every
 * format an export writes. I420 is converted in a worker thread, in place
 * when `data` is shared memory (an export pool buffer), else on a copy; for
 * the other formats, and for shared I420, `data` must stay untouched until this resolves.
 * `into` (I420 only; width x height x 3 bytes, best a SharedArrayBuffer the
 * caller reuses) receives the RGB instead of a fresh buffer per frame, which
 * at 1080p saves ~2 ms of allocation and page faults; the image's data is then a view of it.
 */
export async function decodeFrame(data: Buffer, geometry: FrameGeometry, into?: Buffer): Promise<PixelImage> {
  const { width, height } = geometry;
  switch (geometry.format) {
    case 'rgb24':
      return { data, width, height, channels: 3 };
    case 'gray8':
      return { data, width, height, channels: 1 };
    case 'yuv420':
      return { data: await convertPool.i420ToRgb(data, width, height, geometry.colorRange ?? 'limited', into), width, height, channels: 3 };
    case 'mjpeg': {
      const { data: pixels, info } = await sharp(data).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      return { data: pixels, width: info.width, height: info.height, channels: info.channels === 1 ? 1 : 3 };
    }
  }
}

/** Mean luma of a JPEG from a shrunk decode (libjpeg scales while decoding, so this is cheap). */
export async function jpegDarkScore(data: Buffer): Promise<number> {
  const { data: grey } = await sharp(data).resize(64, 48, { fit: 'fill', fastShrinkOnLoad: true }).greyscale().raw().toBuffer({ resolveWithObject: true });
  let sum = 0;
  for (let i = 0; i < grey.length; i++) sum += grey[i]!;
  return grey.length === 0 ? 0 : sum / grey.length;
}
