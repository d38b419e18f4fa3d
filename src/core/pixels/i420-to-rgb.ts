import type { ColorRange } from '../frame.js';
import { SIMD_COEFFICIENTS, simdModuleBytes } from './i420-simd.js';
import { wasm, type WasmMemory } from './wasm-assembler.js';

/**
 * Planar I420 (BT.601 matrix) to packed RGB24, for either range: `full`
 * (sYCC/JFIF: rpicam-vid's yuv420, and what picam asks ffmpeg for) keeps Y as
 * it is, `limited` stretches Y 16-235 to 0-255 and chroma 16-240. Converting
 * full-range frames with the limited formula would crush shadows and clip
 * highlights. Runs only when a frame is exported or streamed in another
 * format, never on capture.
 *
 * The bulk runs in WebAssembly SIMD (i420-simd.ts, ~1 ms a 1080p frame against
 * 11-36 ms for the JavaScript loop); the few columns past the last whole 16 and
 * an odd last row go through the scalar loop below, which is also the fallback
 * where WebAssembly SIMD is missing.
 */
export function i420ToRgb(src: Uint8Array, width: number, height: number, out: Uint8Array, range: ColorRange = 'limited'): void {
  const simd = simdConverter();
  if (simd === undefined || width < 16 || height < 2) {
    i420ToRgbScalar(src, width, height, out, range, 0, width, 0, height);
    return;
  }
  simd(src, width, height, out, range);
}

/** Whether this thread converts with WebAssembly SIMD (false: the scalar loop; undefined until first used). */
export function simdActive(): boolean | undefined {
  return converter === undefined ? undefined : converter !== null;
}

type Converter = (src: Uint8Array, width: number, height: number, out: Uint8Array, range: ColorRange) => void;

let converter: Converter | null | undefined;

/** One instance per thread (the main thread and each pixel worker), its memory grown to the largest frame seen. */
function simdConverter(): Converter | undefined {
  if (converter !== undefined) return converter ?? undefined;
  try {
    if (wasm === undefined) throw new Error('no WebAssembly');
    const { memory, convert } = new wasm.Instance(new wasm.Module(simdModuleBytes())).exports as unknown as { memory: WasmMemory; convert: (...args: number[]) => void };
    converter = (src, width, height, out, range) => {
      const chromaWidth = Math.ceil(width / 2);
      const chromaBytes = chromaWidth * Math.ceil(height / 2);
      const inBytes = width * height + 2 * chromaBytes;
      const outPtr = Math.ceil(inBytes / 64) * 64;
      const outBytes = width * height * 3;
      const need = outPtr + outBytes;
      if (memory.buffer.byteLength < need) memory.grow(Math.ceil((need - memory.buffer.byteLength) / 65536));
      const heap = new Uint8Array(memory.buffer);
      heap.set(src.subarray(0, inBytes), 0);
      const k = SIMD_COEFFICIENTS[range];
      const blocks = Math.floor(width / 16);
      const pairs = Math.floor(height / 2);
      const uPtr = width * height;
      convert(0, uPtr, uPtr + chromaBytes, outPtr, width, chromaWidth, blocks, pairs, k.y0, k.ky, k.rv, k.gu, k.gv, k.bu);
      const rgb = heap.subarray(outPtr, outPtr + outBytes);
      // The edges SIMD left: columns past the last whole block, and an odd last row.
      if (blocks * 16 < width) i420ToRgbScalar(src, width, height, rgb, range, blocks * 16, width, 0, pairs * 2);
      if (pairs * 2 < height) i420ToRgbScalar(src, width, height, rgb, range, 0, width, pairs * 2, height);
      out.set(rgb);
    };
  } catch {
    converter = null;
  }
  return converter ?? undefined;
}

/**
 * The scalar formula, 16.16 fixed point, for the pixels in columns
 * [x0, x1) of rows [y0, y1); `out` is the whole frame's RGB.
 */
export function i420ToRgbScalar(src: Uint8Array, width: number, height: number, out: Uint8Array, range: ColorRange, x0: number, x1: number, y0: number, y1: number): void {
  const chromaWidth = Math.ceil(width / 2);
  const uPlane = width * height;
  const vPlane = uPlane + chromaWidth * Math.ceil(height / 2);
  // Luma scale and offset, then the chroma factors: 1.402/1.772 (full), 1.596/2.018 (limited), 16.16 fixed point.
  const full = range === 'full';
  const ky = full ? 65536 : 76284; // 1, 1.164
  const yOff = full ? 0 : 16;
  const rv = full ? 91881 : 104595;
  const gu = full ? 22554 : 25625;
  const gv = full ? 46802 : 53281;
  const bu = full ? 116130 : 132252;
  for (let y = y0; y < y1; y++) {
    const row = y * width;
    const chromaRow = (y >> 1) * chromaWidth;
    let o = (row + x0) * 3;
    for (let x = x0; x < x1; x++) {
      // +32768 rounds to nearest instead of down.
      const c = ky * (src[row + x]! - yOff) + 32768;
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
