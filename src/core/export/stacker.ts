import type { PixelImage } from '../pixels/decode.js';

/** Mean luma the stacked image is brightened towards. */
const TARGET_MEAN = 110;

/**
 * Averages dark frames into one brighter image: summing N frames cuts the
 * noise by sqrt(N), then one gain (at most N, so never more than the plain
 * sum) lifts the mean towards TARGET_MEAN. One accumulator, reused.
 */
export class FrameStacker {
  private sum: Uint32Array;
  private ids: number[] = [];
  private template: PixelImage | undefined;

  constructor(private readonly count: number) {
    this.sum = new Uint32Array(0);
  }

  /** Adds a frame; returns the stacked image once `count` frames are in. */
  add(id: number, image: PixelImage): { image: PixelImage; ids: number[] } | undefined {
    if (this.sum.length !== image.data.length) this.sum = new Uint32Array(image.data.length);
    if (this.ids.length === 0) this.sum.fill(0);
    const { sum } = this;
    const data = image.data;
    for (let i = 0; i < data.length; i++) sum[i]! += data[i]!;
    this.ids.push(id);
    this.template = image;
    if (this.ids.length < this.count) return undefined;
    const result = this.finish();
    this.ids = [];
    return result;
  }

  private finish(): { image: PixelImage; ids: number[] } {
    const n = this.ids.length;
    const { sum } = this;
    let total = 0;
    for (let i = 0; i < sum.length; i++) total += sum[i]!;
    const mean = total / sum.length / n;
    const gain = Math.min(n, Math.max(1, mean > 0 ? TARGET_MEAN / mean : n));
    const scale = gain / n;
    const out = Buffer.allocUnsafe(sum.length);
    for (let i = 0; i < sum.length; i++) out[i] = Math.min(255, Math.round(sum[i]! * scale));
    const template = this.template!;
    return { image: { data: out, width: template.width, height: template.height, channels: template.channels }, ids: [...this.ids] };
  }
}
