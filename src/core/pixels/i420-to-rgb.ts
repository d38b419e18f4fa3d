/**
 * Planar I420 (BT.601, limited range, as rpicam-vid and ffmpeg's yuv420p
 * deliver video) to packed RGB24, in 16.16 fixed point. Runs only when a
 * frame is exported or streamed in another format, never on capture.
 */
export function i420ToRgb(src: Uint8Array, width: number, height: number, out: Uint8Array): void {
  const chromaWidth = Math.ceil(width / 2);
  const uPlane = width * height;
  const vPlane = uPlane + chromaWidth * Math.ceil(height / 2);
  let o = 0;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    const chromaRow = (y >> 1) * chromaWidth;
    for (let x = 0; x < width; x++) {
      const c = 76284 * (src[row + x]! - 16); // 1.164 * 65536
      const u = src[uPlane + chromaRow + (x >> 1)]! - 128;
      const v = src[vPlane + chromaRow + (x >> 1)]! - 128;
      out[o++] = clamp((c + 104595 * v) >> 16); // 1.596
      out[o++] = clamp((c - 25625 * u - 53281 * v) >> 16); // 0.391, 0.813
      out[o++] = clamp((c + 132252 * u) >> 16); // 2.018
    }
  }
}

function clamp(value: number): number {
  return value < 0 ? 0 : value > 255 ? 255 : value;
}
