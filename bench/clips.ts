import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { releaseFolder, trackFolder } from './cleanup.js';

const run = promisify(execFile);

/**
 * MJPEG clips of ffmpeg's testsrc2 for the file source and the pipe
 * ceiling, made once per size and rate in one temp folder. A clip at 1000
 * frames/s replayed with `-re` runs as fast as ffmpeg decodes it, which is
 * how the bench measures the pipe's sustained rate.
 */
export class Clips {
  private dir: string | undefined;
  private readonly made = new Map<string, Promise<string>>();

  get(width: number, height: number, rate: number): Promise<string> {
    const key = `${width}x${height}@${rate}`;
    let clip = this.made.get(key);
    if (!clip) {
      clip = this.make(width, height, rate, key);
      this.made.set(key, clip);
    }
    return clip;
  }

  private async make(width: number, height: number, rate: number, key: string): Promise<string> {
    this.dir ??= trackFolder(await mkdtemp(path.join(os.tmpdir(), 'picam-bench-clips-')));
    const file = path.join(this.dir, `${key}.mkv`);
    // 120 frames: 4 s at 30 fps; looped by -stream_loop, so length only sets the file size.
    await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=${rate}`, '-frames:v', '120', '-c:v', 'mjpeg', '-q:v', '3', '-y', file]);
    return file;
  }

  async remove(): Promise<void> {
    if (this.dir === undefined) return;
    await rm(this.dir, { recursive: true, force: true });
    releaseFolder(this.dir);
    this.dir = undefined;
    this.made.clear();
  }
}
