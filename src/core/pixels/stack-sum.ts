/** Mean luma the stacked image is brightened towards. */
export const TARGET_MEAN = 110;

/** Most frames one packed accumulator sums: 257 x 255 is the largest sum a 16-bit lane holds. */
export const MAX_PACKED_FRAMES = 257;

/**
 * Integer accumulation for the dark-frame stacker, four bytes a step: each
 * frame is read as 32-bit words and split into two words of two 16-bit lanes
 * (bytes 0 and 2, bytes 1 and 3), added into a Uint32 accumulator of two
 * words per four frame bytes. Per 1080p RGB frame that is 1.6 M iterations
 * instead of 6.2 M, and no lane can carry into its neighbour for up to
 * MAX_PACKED_FRAMES frames. The tail (length % 4 bytes) is summed byte by byte.
 */
export class PackedStackSum {
  readonly words: Uint32Array;
  readonly tail: Uint32Array;
  /** `buffer`: `packedStackBytes(length)` bytes (shared, so a worker can fill it). */
  constructor(
    readonly length: number,
    buffer: ArrayBufferLike = new ArrayBuffer(packedStackBytes(length)),
  ) {
    const quads = length >>> 2;
    this.words = new Uint32Array(buffer, 0, quads * 2);
    this.tail = new Uint32Array(buffer, quads * 8, length & 3);
  }

  /** Adds one frame's bytes (zeroing the sums first for the first frame of a stack). */
  add(data: Uint8Array, reset: boolean): void {
    if (data.length !== this.length) throw new RangeError(`stack frame of ${data.length} bytes, expected ${this.length}`);
    const { words, tail } = this;
    if (reset) {
      words.fill(0);
      tail.fill(0);
    }
    const quads = this.length >>> 2;
    if (data.byteOffset % 4 === 0) {
      const src = new Uint32Array(data.buffer, data.byteOffset, quads);
      for (let i = 0, j = 0; i < quads; i++, j += 2) {
        const w = src[i]!;
        words[j] = words[j]! + (w & 0x00ff00ff);
        words[j + 1] = words[j + 1]! + ((w >>> 8) & 0x00ff00ff);
      }
    } else {
      // Unaligned views (rare: a slice of a larger buffer) take the byte path, same lanes.
      for (let i = 0, j = 0; i < quads; i++, j += 2) {
        const b = i * 4;
        words[j] = words[j]! + (data[b]! | (data[b + 2]! << 16));
        words[j + 1] = words[j + 1]! + (data[b + 1]! | (data[b + 3]! << 16));
      }
    }
    for (let k = 0; k < tail.length; k++) tail[k] = tail[k]! + data[quads * 4 + k]!;
  }

  /** Sum of every byte of every frame added. */
  total(): number {
    const { words, tail } = this;
    let total = 0;
    // Partial sums stay well inside 2^53 (1.6 M words x 2 lanes x 65535).
    for (let i = 0; i < words.length; i++) {
      const w = words[i]!;
      total += (w & 0xffff) + (w >>> 16);
    }
    for (let k = 0; k < tail.length; k++) total += tail[k]!;
    return total;
  }

  /**
   * The stacked image of `frames` summed frames into `out`: summing N frames
   * cuts the noise by sqrt(N), then one gain (at most N, so never more than the
   * plain sum) lifts the mean towards TARGET_MEAN. Each output byte is a table
   * lookup of its lane's sum, so no rounding or clamping runs per byte.
   */
  finish(frames: number, out: Uint8Array): void {
    if (out.length !== this.length) throw new RangeError(`stack output of ${out.length} bytes, expected ${this.length}`);
    const scale = stackScale(this.total(), this.length, frames);
    const table = scaleTable(scale, frames);
    const { words, tail } = this;
    const quads = this.length >>> 2;
    if (out.byteOffset % 4 === 0) {
      const dst = new Uint32Array(out.buffer, out.byteOffset, quads);
      for (let i = 0, j = 0; i < quads; i++, j += 2) {
        const lo = words[j]!;
        const hi = words[j + 1]!;
        dst[i] = (table[lo & 0xffff]! | (table[hi & 0xffff]! << 8) | (table[lo >>> 16]! << 16) | (table[hi >>> 16]! << 24)) >>> 0;
      }
    } else {
      for (let i = 0, j = 0; i < quads; i++, j += 2) {
        const b = i * 4;
        out[b] = table[words[j]! & 0xffff]!;
        out[b + 1] = table[words[j + 1]! & 0xffff]!;
        out[b + 2] = table[words[j]! >>> 16]!;
        out[b + 3] = table[words[j + 1]! >>> 16]!;
      }
    }
    for (let k = 0; k < tail.length; k++) out[quads * 4 + k] = table[tail[k]!]!;
  }
}

/** Bytes of a PackedStackSum for frames of `length` bytes. */
export function packedStackBytes(length: number): number {
  return (length >>> 2) * 8 + (length & 3) * 4;
}

/** Output per sum = sum x scale: the gain (1..frames, towards TARGET_MEAN) over the frame count. */
export function stackScale(total: number, length: number, frames: number): number {
  const mean = length === 0 ? 0 : total / length / frames;
  const gain = Math.min(frames, Math.max(1, mean > 0 ? TARGET_MEAN / mean : frames));
  return gain / frames;
}

/** min(255, round(sum x scale)) for every sum `frames` bytes can reach. */
function scaleTable(scale: number, frames: number): Uint8Array {
  const table = new Uint8Array(Math.min(65536, frames * 255 + 1));
  for (let v = 0; v < table.length; v++) table[v] = Math.min(255, Math.round(v * scale));
  return table;
}

/** Adds one frame's bytes into a one-per-byte accumulator (zeroing it first for the first frame of a stack). */
export function stackAdd(sum: Uint32Array, data: Uint8Array, reset: boolean): void {
  if (reset) sum.fill(0);
  for (let i = 0; i < data.length; i++) sum[i]! += data[i]!;
}

/** The stacked image of a one-per-byte accumulator (see PackedStackSum.finish for the arithmetic). */
export function stackFinish(sum: Uint32Array, frames: number, out: Uint8Array): void {
  let total = 0;
  for (let i = 0; i < sum.length; i++) total += sum[i]!;
  const scale = stackScale(total, sum.length, frames);
  for (let i = 0; i < sum.length; i++) out[i] = Math.min(255, Math.round(sum[i]! * scale));
}
