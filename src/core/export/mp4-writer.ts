import { rename, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import type { PixelImage } from '../pixels/decode.js';

/** Nice level of the clip's ffmpeg (0 normal, 19 lowest). */
const FFMPEG_NICE = 10;

/**
 * One H.264 clip of an event's window, for people who want to watch it:
 * ffmpeg reads the frames as raw RGB on stdin, at the frames' measured rate,
 * and writes a temp file that is renamed when ffmpeg succeeds.
 */
export class Mp4Writer {
  private child: ResultPromise | undefined;
  private readonly temp: string;
  private failure: string | undefined;

  constructor(
    private readonly file: string,
    private readonly fps: number,
  ) {
    this.temp = path.join(path.dirname(file), `.${path.basename(file)}.tmp`);
  }

  /**
   * Adds the next frame (in capture order); resolves once the pipe has taken
   * all of it (the caller reuses `image.data`) or ffmpeg ended (a failure close() reports).
   */
  async write(image: PixelImage): Promise<void> {
    if (this.failure) return;
    if (!this.child) this.child = this.spawn(image);
    const stdin = this.child.stdin!;
    const child = this.child;
    await Promise.race([new Promise<void>((resolve) => stdin.write(image.data, () => resolve())), child.then(() => undefined)]);
  }

  /** Finishes the clip, or throws with ffmpeg's reason. */
  async close(): Promise<void> {
    if (!this.child) throw new Error('no frames for the clip');
    this.child.stdin!.end();
    const result = await this.child;
    if (result.failed) {
      await unlink(this.temp).catch(() => undefined);
      throw new Error(`ffmpeg could not make the clip: ${result.shortMessage} ${String(result.stderr).slice(-300)}`);
    }
    await rename(this.temp, this.file);
  }

  /** Stops a clip that will not be finished. */
  async abort(): Promise<void> {
    this.child?.kill('SIGKILL');
    await this.child?.catch(() => undefined);
    await unlink(this.temp).catch(() => undefined);
  }

  private spawn(first: PixelImage): ResultPromise {
    // H.264 in yuv420p wants even sizes: crop a stray odd row or column.
    const evenW = first.width - (first.width % 2);
    const evenH = first.height - (first.height % 2);
    const args = [
      '-hide_banner', '-loglevel', 'error', '-nostdin',
      '-f', 'rawvideo', '-pix_fmt', first.channels === 1 ? 'gray' : 'rgb24', '-s', `${first.width}x${first.height}`,
      '-framerate', this.fps.toFixed(3), '-i', 'pipe:0',
      '-vf', `crop=${evenW}:${evenH}:0:0`,
      '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-movflags', '+faststart',
      '-f', 'mp4', '-y', this.temp,
    ];
    const child = execa('ffmpeg', args, { stdin: 'pipe', stdout: 'ignore', stderr: 'pipe', reject: false, cleanup: true });
    // libx264 would take every core it can get, and capture shares them: on 2 cores a 1080p clip cut capture to ~21 fps.
    // At a lower priority ffmpeg gets what capture leaves; the clip only takes longer.
    if (child.pid !== undefined) {
      try {
        os.setPriority(child.pid, FFMPEG_NICE);
      } catch {
        // The clip still gets made, only at normal priority.
      }
    }
    child.stdin.on('error', (error: Error) => {
      this.failure = error.message;
    });
    return child;
  }
}
