import { convertPool } from '../pixels/convert-pool.js';
import type { PixelImage } from '../pixels/decode.js';

/**
 * Averages dark frames into one brighter image (see stack-sum.ts for the
 * arithmetic). The sums run in the pixel worker on a shared accumulator:
 * 6.2 M additions per 1080p frame on the main thread held capture up (1080p
 * capture fell to 17 fps during a stacked export). One accumulator, reused.
 * Calls must not overlap: `add` the next frame after the previous resolved.
 */
export class FrameStacker {
  private sum = new SharedArrayBuffer(0);
  private ids: number[] = [];
  private template: PixelImage | undefined;

  constructor(private readonly count: number) {}

  /** Adds a frame; resolves with the stacked image once `count` frames are in. `image.data` must stay untouched until it resolves. */
  async add(id: number, image: PixelImage): Promise<{ image: PixelImage; ids: number[] } | undefined> {
    const length = image.data.length;
    if (this.sum.byteLength !== length * 4) this.sum = new SharedArrayBuffer(length * 4);
    await convertPool.stackAdd(this.sum, image.data, this.ids.length === 0);
    this.ids.push(id);
    this.template = image;
    if (this.ids.length < this.count) return undefined;
    const ids = this.ids;
    this.ids = [];
    const { width, height, channels } = this.template;
    const out = await convertPool.stackFinish(this.sum, length, ids.length);
    return { image: { data: out, width, height, channels }, ids };
  }
}
