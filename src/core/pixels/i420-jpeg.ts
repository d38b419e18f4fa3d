import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { ColorRange, FrameGeometry } from '../frame.js';

/** JPEG (4:2:0, baseline, libjpeg's quality scale) straight from I420 planes; the planes must stay unchanged until it resolves. */
export type I420JpegEncoder = (planes: Uint8Array, width: number, height: number, range: ColorRange, quality: number) => Promise<Buffer>;

/** The same, for one source's frames: size and range bound. */
export type FrameJpegEncoder = (planes: Uint8Array, quality: number) => Promise<Buffer>;

interface Addon {
  encode(planes: Uint8Array, width: number, height: number, fullRange: boolean, quality: number): Promise<Buffer>;
}

/** dist/native/i420-jpeg.node, built by scripts/build-native.sh beside the compiled code (dist/src/core/pixels). */
const ADDON_PATH = fileURLToPath(new URL('../../../native/i420-jpeg.node', import.meta.url));

let loaded: { encoder: I420JpegEncoder } | { error: string } | undefined;

function load(): { encoder: I420JpegEncoder } | { error: string } {
  if (loaded) return loaded;
  if (process.env.PICAM_JPEG_ENCODER === 'sharp') return (loaded = { error: 'PICAM_JPEG_ENCODER=sharp' });
  try {
    const addon = createRequire(import.meta.url)(ADDON_PATH) as Addon;
    loaded = { encoder: (planes, width, height, range, quality) => addon.encode(planes, width, height, range === 'full', quality) };
  } catch (error) {
    loaded = { error: error instanceof Error ? error.message.split('\n')[0]! : String(error) };
  }
  return loaded;
}

/**
 * The native encoder (i420-jpeg.c, libjpeg-turbo), or undefined where it was
 * not built (no libturbojpeg at build time) or PICAM_JPEG_ENCODER=sharp asks
 * for the old path (tests and the bench compare the two): callers then
 * convert to RGB and encode with sharp. Encodes run on libuv's threadpool.
 */
export function i420JpegEncoder(): I420JpegEncoder | undefined {
  const outcome = load();
  return 'encoder' in outcome ? outcome.encoder : undefined;
}

/** The native encoder bound to a source's geometry, or undefined unless its frames are I420 and the encoder is loaded. */
export function frameJpegEncoder(geometry: FrameGeometry): FrameJpegEncoder | undefined {
  const encode = geometry.format === 'yuv420' ? i420JpegEncoder() : undefined;
  if (encode === undefined) return undefined;
  const { width, height } = geometry;
  const range = geometry.colorRange ?? 'limited';
  return (planes, quality) => encode(planes, width, height, range, quality);
}

/** How I420 frames become JPEG here, for the startup log and GetStatus readers. */
export function i420JpegPath(): { native: boolean; detail: string } {
  const outcome = load();
  return 'encoder' in outcome
    ? { native: true, detail: 'libjpeg-turbo from the I420 planes (native addon)' }
    : { native: false, detail: `sharp through RGB (native encoder not loaded: ${outcome.error})` };
}

