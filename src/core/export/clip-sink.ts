import { stat } from 'node:fs/promises';
import path from 'node:path';
import { Mp4Writer } from './mp4-writer.js';
import type { FrameSink, SinkFrame } from './sink.js';

export const CLIP_FILE = 'clip.mp4';

/** The window as one H.264 clip (Mp4Writer), frames in capture order. */
export class ClipSink implements FrameSink {
  readonly ordered = true;
  bytes = 0;
  private readonly writer: Mp4Writer;
  private frames = 0;

  constructor(
    private readonly dir: string,
    fps: number,
  ) {
    this.writer = new Mp4Writer(path.join(dir, CLIP_FILE), fps);
  }

  async write(frame: SinkFrame): Promise<void> {
    await this.writer.write(await frame.pixels());
    this.frames++;
  }

  /** Finishes the clip when the export went well, else removes it; the clip's name when made. */
  async finish(ok: boolean): Promise<string | undefined> {
    if (!ok || this.frames === 0) {
      await this.writer.abort();
      return undefined;
    }
    await this.writer.close();
    this.bytes += (await stat(path.join(this.dir, CLIP_FILE))).size;
    return CLIP_FILE;
  }
}
