import type { ColorRange } from '../frame.js';

/**
 * Planar I420 (BT.601 matrix) to packed RGB24, in 16.16 fixed point, for
 * either range: `full` (sYCC/JFIF: rpicam-vid's yuv420, and what picam asks
 * ffmpeg for) keeps Y as it is, `limited` stretches Y 16-235 to 0-255 and
 * chroma 16-240. Converting full-range frames with the limited formula
 * would crush shadows and clip highlights. Runs only when a frame is
 * exported or streamed in another format, never on capture.
 */
export function i420ToRgb(src: Uint8Array, width: number, height: number, out: Uint8Array, range: ColorRange = 'limited'): void {
  const chromaWidth = Math.ceil(width / 2);
  const uPlane = width * height;
  const vPlane = uPlane + chromaWidth * Math.ceil(height / 2);
  // Luma scale and offset, then the chroma factors: 1.402/1.772 (full), 1.596/2.018 (limited), 16.16 fixed point.
  const full = range === 'full';
  const ky = full ? 65536 : 76284; // 1, 1.164
  const y0 = full ? 0 : 16;
  const rv = full ? 91881 : 104595;
  const gu = full ? 22554 : 25625;
  const gv = full ? 46802 : 53281;
  const bu = full ? 116130 : 132252;
  let o = 0;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    const chromaRow = (y >> 1) * chromaWidth;
    for (let x = 0; x < width; x++) {
      // +32768 rounds to nearest instead of down.
      const c = ky * (src[row + x]! - y0) + 32768;
      const u = src[uPlane + chromaRow + (x >> 1)]! - 128;
      const v = src[vPlane + chromaRow + (x >> 1)]! - 128;
      out[o++] = clamp((c + rv * v) >> 16);
      out[o++] = clamp((c - gu * u - gv * v) >> 16);
      out[o++] = clamp((c + bu * u) >> 16);
    }
  }
}

function clamp(value: number): number {
  return value < 0 ? 0 : value > 255 ? 255 : value;
}
