/** Mean luma the stacked image is brightened towards. */
export const TARGET_MEAN = 110;

/** Adds one frame's bytes into the accumulator (zeroing it first for the first frame of a stack). */
export function stackAdd(sum: Uint32Array, data: Uint8Array, reset: boolean): void {
  if (reset) sum.fill(0);
  for (let i = 0; i < data.length; i++) sum[i]! += data[i]!;
}

/**
 * The stacked image of `frames` summed frames: summing N frames cuts the
 * noise by sqrt(N), then one gain (at most N, so never more than the plain
 * sum) lifts the mean towards TARGET_MEAN.
 */
export function stackFinish(sum: Uint32Array, frames: number, out: Uint8Array): void {
  let total = 0;
  for (let i = 0; i < sum.length; i++) total += sum[i]!;
  const mean = total / sum.length / frames;
  const gain = Math.min(frames, Math.max(1, mean > 0 ? TARGET_MEAN / mean : frames));
  const scale = gain / frames;
  for (let i = 0; i < sum.length; i++) out[i] = Math.min(255, Math.round(sum[i]! * scale));
}
