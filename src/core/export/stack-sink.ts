import path from 'node:path';
import { writeFileAtomic } from '../fs/atomic-write.js';
import type { PixelImage } from '../pixels/decode.js';
import type { FrameFormat } from './export-format.js';
import { encodeImage, type EncodeOptions } from './frame-encoder.js';
import type { StackedImage } from './manifest.js';
import type { FrameSink, SinkFrame } from './sink.js';
import { FrameStacker } from './stacker.js';

/** Dark frames (night, or below the dark threshold), `count` at a time, averaged into one image per format. */
export class StackSink implements FrameSink {
  readonly ordered = true;
  bytes = 0;
  readonly stacks: StackedImage[] = [];
  private readonly stacker: FrameStacker;

  constructor(
    private readonly dir: string,
    count: number,
    private readonly darkThreshold: number,
    private readonly formats: FrameFormat[],
    private readonly encode: EncodeOptions,
  ) {
    this.stacker = new FrameStacker(count);
  }

  async write(frame: SinkFrame): Promise<void> {
    if (!frame.meta.night && frame.meta.darkScore >= this.darkThreshold) return;
    const stacked = await this.stacker.add(frame.meta.id, await frame.pixels());
    if (stacked) await this.save(stacked.image, stacked.ids);
  }

  private async save(image: PixelImage, ids: number[]): Promise<void> {
    const files: string[] = [];
    for (const format of this.formats) {
      const name = `stack_${String(ids[0]).padStart(10, '0')}-${String(ids.at(-1)).padStart(10, '0')}.${format}`;
      this.bytes += await writeFileAtomic(path.join(this.dir, name), await encodeImage(image, format, this.encode));
      files.push(name);
    }
    this.stacks.push({ files, frame_ids: ids });
  }
}
