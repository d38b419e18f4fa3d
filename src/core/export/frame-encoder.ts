import sharp from 'sharp';
import type { PixelFormat } from '../capture/frame.js';
import { npyHeader } from './npy.js';

export type ExportFormat = 'jpg' | 'png' | 'npy';

export interface RawImage {
  data: Buffer;
  width: number;
  height: number;
  format: PixelFormat;
}

export interface EncodeOptions {
  jpegQuality: number;
}

/**
 * PNG level 1: PNG is the export bottleneck (about 15 frames/s per core at
 * 1080p against 9 at level 6) and level 1 files are only ~10% larger.
 */
const PNG_LEVEL = 1;

/** Encodes one raw frame to the bytes of one file; npy returns header + pixels without copying. */
export async function encodeFrame(image: RawImage, format: ExportFormat, options: EncodeOptions): Promise<Uint8Array[]> {
  const channels = image.format === 'gray8' ? 1 : 3;
  if (format === 'npy') {
    const shape = channels === 1 ? [image.height, image.width] : [image.height, image.width, 3];
    return [npyHeader(shape), image.data];
  }
  const input = sharp(image.data, { raw: { width: image.width, height: image.height, channels } });
  if (format === 'jpg') {
    // mozjpeg and optimised Huffman tables halve the encode rate for ~5% smaller files.
    return [await input.jpeg({ quality: options.jpegQuality, mozjpeg: false, optimiseCoding: false }).toBuffer()];
  }
  return [await input.png({ compressionLevel: PNG_LEVEL, adaptiveFiltering: false }).toBuffer()];
}
