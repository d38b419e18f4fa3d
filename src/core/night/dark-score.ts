import type { PixelFormat } from '../frame.js';

/** About 4,000 samples: enough for a stable mean, cheap at any resolution. */
const SAMPLES_PER_AXIS = 64;

/**
 * The manual's dark score: mean luma 0-255 of the frame, low = dark, from a
 * grid subsample so the cost does not grow with resolution.
 */
export function darkScore(data: Uint8Array, width: number, height: number, format: PixelFormat): number {
  const stepX = Math.max(1, Math.floor(width / SAMPLES_PER_AXIS));
  const stepY = Math.max(1, Math.floor(height / SAMPLES_PER_AXIS));
  let sum = 0;
  let n = 0;
  for (let y = stepY >> 1; y < height; y += stepY) {
    for (let x = stepX >> 1; x < width; x += stepX) {
      if (format === 'rgb24') {
        const i = (y * width + x) * 3;
        // BT.601 luma in fixed point: 0.299 R + 0.587 G + 0.114 B.
        sum += (77 * data[i]! + 150 * data[i + 1]! + 29 * data[i + 2]!) >> 8;
      } else {
        // gray8 and yuv420 both start with a full-resolution luma plane.
        sum += data[y * width + x]!;
      }
      n++;
    }
  }
  return n === 0 ? 0 : sum / n;
}
