import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { FrameGeometry } from '../frame.js';
import { Mp4Writer } from './mp4-writer.js';
import type { FrameSink, SinkFrame } from './sink.js';

export const CLIP_FILE = 'clip.mp4';

/**
 * The window as one H.264 clip (Mp4Writer), frames in capture order. With
 * `native` (an I420 source and no compressed tier, so every frame of the
 * window is the camera's own I420) the frames go to ffmpeg as they are;
 * otherwise as decoded RGB, the one layout frames from either tier share.
 */
export class ClipSink implements FrameSink {
  readonly ordered = true;
  bytes = 0;
  private readonly writer: Mp4Writer;
  private frames = 0;

  constructor(
    private readonly dir: string,
    fps: number,
    private readonly native?: FrameGeometry,
  ) {
    this.writer = new Mp4Writer(path.join(dir, CLIP_FILE), fps);
  }

  async write(frame: SinkFrame): Promise<void> {
    const { native } = this;
    if (native?.format === 'yuv420' && frame.format === 'yuv420') {
      await this.writer.write({ data: frame.native, width: native.width, height: native.height, layout: 'yuv420', colorRange: native.colorRange ?? 'limited' });
    } else {
      const image = await frame.pixels();
      await this.writer.write({ data: image.data, width: image.width, height: image.height, layout: image.channels === 1 ? 'gray' : 'rgb24' });
    }
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
