import sharp from 'sharp';
import type { PixelImage } from '../pixels/decode.js';
import type { FrameFormat } from './export-format.js';
import { npyHeader } from './npy.js';

export type { FrameFormat } from './export-format.js';

export interface EncodeOptions {
  jpegQuality: number;
  /** zlib level; export.png_compression explains the default of 1. */
  pngCompression: number;
}

/** Encodes decoded pixels to the bytes of one file; npy returns header + pixels without copying. */
export async function encodeImage(image: PixelImage, format: FrameFormat, options: EncodeOptions): Promise<Uint8Array[]> {
  if (format === 'npy') {
    const shape = image.channels === 1 ? [image.height, image.width] : [image.height, image.width, 3];
    return [npyHeader(shape), image.data];
  }
  const input = sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } });
  if (format === 'jpg') {
    // mozjpeg and optimised Huffman tables halve the encode rate for ~5% smaller files.
    return [await input.jpeg({ quality: options.jpegQuality, mozjpeg: false, optimiseCoding: false }).toBuffer()];
  }
  return [await input.png({ compressionLevel: options.pngCompression, adaptiveFiltering: false }).toBuffer()];
}
