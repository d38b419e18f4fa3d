import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { invalidField, PicamError } from '../core/index.js';

const MAGIC = Buffer.from('\x93NUMPY', 'latin1');

/** Frame files a preview can be made from. */
export function isPreviewable(name: string): boolean {
  return ['.jpg', '.png', '.npy'].includes(path.extname(name));
}

/**
 * A JPEG of a saved frame at most `width` wide: from its jpg or png, or from
 * its .npy array, so an event saved only as arrays can still be looked at
 * (the event viewer's flip-book, the list's thumbnail).
 */
export async function previewJpeg(file: string, width: number, quality = 80): Promise<Buffer> {
  const input = path.extname(file) === '.npy' ? sharpFromNpy(await readFile(file), path.basename(file)) : sharp(file);
  return input.resize({ width, withoutEnlargement: true }).jpeg({ quality, mozjpeg: false }).toBuffer();
}

/**
 * Reads the .npy files picam writes: uint8, C order, shape (h, w, 3), or
 * (h, w) for grey (NumPy format 1.0; 2.0/3.0 headers are read too).
 */
function sharpFromNpy(bytes: Buffer, name: string): Sharp {
  const unreadable = (why: string): PicamError => new PicamError('FAILED_PRECONDITION', `${name}: cannot preview this .npy file: ${why}`, { field: 'file' });
  if (bytes.length < 12 || !bytes.subarray(0, 6).equals(MAGIC)) throw unreadable('no NumPy magic');
  const major = bytes[6]!;
  const headerLength = major === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  const headerStart = major === 1 ? 10 : 12;
  const header = bytes.subarray(headerStart, headerStart + headerLength).toString('latin1');
  const descr = /'descr':\s*'([^']*)'/.exec(header)?.[1];
  if (descr === undefined || !['|u1', '<u1', '>u1', 'u1'].includes(descr)) throw unreadable(`dtype ${descr ?? '?'}, expected uint8`);
  if (/'fortran_order':\s*True/.test(header)) throw unreadable('Fortran order');
  const shape = (/'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map(Number);
  const [height = 0, width = 0, channels = 1] = shape;
  if (shape.length < 2 || shape.length > 3 || ![1, 3, 4].includes(channels) || !(height > 0 && width > 0)) throw unreadable(`shape (${shape.join(', ')})`);
  const data = bytes.subarray(headerStart + headerLength);
  if (data.length < height * width * channels) throw unreadable(`${data.length} bytes of data for shape (${shape.join(', ')})`);
  return sharp(data.subarray(0, height * width * channels), { raw: { width, height, channels: channels as 1 | 3 | 4 } });
}

const MAX_PREVIEW_WIDTH = 1920;

/** `?width=` of a preview: whole pixels, 16 to 1920; 960 when absent. */
export function previewWidthParam(params: URLSearchParams): number {
  const raw = params.get('width');
  if (raw === null) return 960;
  const value = raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isInteger(value) || value < 16 || value > MAX_PREVIEW_WIDTH) {
    throw invalidField('width', `integer >= 16 and <= ${MAX_PREVIEW_WIDTH}`, raw);
  }
  return value;
}
