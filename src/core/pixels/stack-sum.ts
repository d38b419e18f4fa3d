import { stackModuleBytes } from './stack-simd.js';
import { PAGE_BYTES, wasm, type WasmMemory } from './wasm-assembler.js';

/** Mean luma the stacked image is brightened towards. */
export const TARGET_MEAN = 110;

/** Most frames one accumulator sums: 257 x 255 is the largest sum a 16-bit lane holds. */
export const MAX_STACK_FRAMES = 257;

/** Header: the kernel's four u32 lane sums (16 bytes), then the stack's running byte total (f64). */
const LANES = 0;
const TOTAL = 16;
const ACC = 64;

/** Where a stack's parts live in its memory, for frames of `length` bytes. */
function layout(length: number): { acc: number; src: number; out: number; bytes: number } {
  const align = (n: number): number => Math.ceil(n / 64) * 64;
  const src = align(ACC + length * 2);
  const out = align(src + length);
  return { acc: ACC, src, out, bytes: out + length };
}

/**
 * A stack's memory: shared, so the stack worker adds into it while the
 * export's stacker owns it, and a WebAssembly memory when SIMD is there (the
 * kernels run on it in place). Freed with the stacker (no handle to close).
 */
export function stackMemory(length: number): WasmMemory | SharedArrayBuffer {
  const { bytes } = layout(length);
  const pages = Math.ceil(bytes / PAGE_BYTES);
  if (kernels() !== undefined) return new wasm!.Memory({ initial: pages, maximum: pages, shared: true });
  return new SharedArrayBuffer(pages * PAGE_BYTES);
}

interface Kernels {
  add: (src: number, acc: number, blocks: number, lanes: number) => void;
  first: (src: number, acc: number, blocks: number, lanes: number) => void;
  finish: (acc: number, out: number, blocks: number, k: number) => void;
}

let module: object | null | undefined;

/** The compiled kernels' module (once a thread), or undefined where WebAssembly SIMD is missing. */
function kernels(): object | undefined {
  if (module !== undefined) return module ?? undefined;
  try {
    if (wasm === undefined) throw new Error('no WebAssembly');
    module = new wasm.Module(stackModuleBytes());
  } catch {
    module = null;
  }
  return module ?? undefined;
}

/**
 * Integer accumulation for the dark-frame stacker: one u16 sum per frame
 * byte, added 16 bytes a step in WebAssembly SIMD (~1 ms a 1080p frame,
 * against ~9 ms for the four-bytes-a-step JavaScript it replaces and ~8 ms
 * for the seed's np.mean; BENCHMARKS.md), in the stack's shared memory. Each
 * call works on that memory as it is, so the worker can make one of these
 * per request (the WebAssembly instance costs ~7 µs, against ~2 ms of sums). Without WebAssembly SIMD the same sums run in JavaScript.
 */
export class StackSum {
  private readonly heap: Uint8Array;
  private readonly acc: Uint16Array;
  private readonly header: Float64Array;
  private readonly lanes: Uint32Array;
  private readonly at: ReturnType<typeof layout>;
  private readonly run: Kernels | undefined;

  constructor(
    readonly length: number,
    memory: WasmMemory | SharedArrayBuffer = stackMemory(length),
  ) {
    this.at = layout(length);
    const buffer = memory instanceof SharedArrayBuffer ? memory : memory.buffer;
    if (buffer.byteLength < this.at.bytes) throw new RangeError(`stack memory of ${buffer.byteLength} bytes, frames of ${length} need ${this.at.bytes}`);
    this.heap = new Uint8Array(buffer);
    this.acc = new Uint16Array(buffer, this.at.acc, length);
    this.header = new Float64Array(buffer, TOTAL, 1);
    this.lanes = new Uint32Array(buffer, LANES, 4);
    const compiled = memory instanceof SharedArrayBuffer ? undefined : kernels();
    this.run = compiled === undefined ? undefined : (new wasm!.Instance(compiled, { env: { memory } }).exports as unknown as Kernels);
  }

  /** Whether the sums run in WebAssembly SIMD here (false: the JavaScript loop). */
  get simd(): boolean {
    return this.run !== undefined;
  }

  /** Adds one frame's bytes (starting the sums afresh for the first frame of a stack). */
  add(data: Uint8Array, reset: boolean): void {
    if (data.length !== this.length) throw new RangeError(`stack frame of ${data.length} bytes, expected ${this.length}`);
    const { acc, length } = this;
    const simdBytes = this.run ? length & ~15 : 0;
    let total = reset ? 0 : this.header[0]!;
    if (this.run && simdBytes > 0) {
      this.heap.set(data.subarray(0, simdBytes), this.at.src);
      (reset ? this.run.first : this.run.add)(this.at.src, this.at.acc, simdBytes >>> 4, LANES);
      total += this.lanes[0]! + this.lanes[1]! + this.lanes[2]! + this.lanes[3]!;
    }
    for (let i = simdBytes; i < length; i++) {
      const v = data[i]!;
      acc[i] = reset ? v : acc[i]! + v;
      total += v;
    }
    this.header[0] = total;
  }

  /** Sum of every byte of every frame added since the stack started. */
  total(): number {
    return this.header[0]!;
  }

  /**
   * The stacked image of `frames` summed frames into `out`: summing N frames
   * cuts the noise by sqrt(N), then one gain (at most N, so never more than the
   * plain sum) lifts the mean towards TARGET_MEAN; each byte is
   * min(255, round(sum x scale)) with the scale in 1/65536.
   */
  finish(frames: number, out: Uint8Array): void {
    const { acc, length } = this;
    if (out.length !== length) throw new RangeError(`stack output of ${out.length} bytes, expected ${length}`);
    const k = Math.min(65536, Math.round(stackScale(this.total(), length, frames) * 65536));
    const simdBytes = this.run ? length & ~15 : 0;
    if (this.run && simdBytes > 0) {
      this.run.finish(this.at.acc, this.at.out, simdBytes >>> 4, k);
      out.set(this.heap.subarray(this.at.out, this.at.out + simdBytes));
    }
    for (let i = simdBytes; i < length; i++) out[i] = Math.min(255, Math.floor((acc[i]! * k + 32768) / 65536));
  }
}

/** Output per sum = sum x scale: the gain (1..frames, towards TARGET_MEAN) over the frame count. */
export function stackScale(total: number, length: number, frames: number): number {
  const mean = length === 0 ? 0 : total / length / frames;
  const gain = Math.min(frames, Math.max(1, mean > 0 ? TARGET_MEAN / mean : frames));
  return gain / frames;
}

/** The formula itself, one sum per byte in plain JavaScript: what the tests hold StackSum to. */
export function stackReference(frames: Uint8Array[], out: Uint8Array): void {
  const sum = new Float64Array(out.length);
  let total = 0;
  for (const frame of frames) {
    for (let i = 0; i < frame.length; i++) {
      sum[i] = sum[i]! + frame[i]!;
      total += frame[i]!;
    }
  }
  const scale = stackScale(total, out.length, frames.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.min(255, Math.round(sum[i]! * scale));
}
