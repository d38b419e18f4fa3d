import { execFile } from 'node:child_process';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { i420ToRgb } from '../src/core/pixels/i420-to-rgb.js';
import { FIXTURES, type StartOptions } from '../test/helpers/service.js';
import { releaseFolder, trackFolder } from './cleanup.js';
import type { Size } from './options.js';

const run = promisify(execFile);

/** Frames in the loop the fake camera replays: 1 s at 30 fps, so the moving parts of testsrc2 move. */
export const SCENE_FRAMES = 30;

/**
 * The ffmpeg filter graph of the camera-like scene: testsrc2's moving test
 * card with temporal sensor noise, added in RGB as a sensor's noise is (it
 * enters before the ISP's RGB -> YCbCr), so every pixel of the I420 is inside
 * RGB and the seed's RGB frames (picam's I420 -> RGB) clip nothing: both
 * sides compress the same picture.
 */
export const SCENE_FILTER = 'format=rgb24,noise=alls=12:allf=t';

/**
 * The first scene (issue 18's): the same noise added to the YUV planes, which
 * puts part of the frame outside RGB. Converting to RGB clips that part, so
 * the seed's frames are an easier picture than picam's; kept as one labelled
 * export row.
 */
export const YUV_NOISE_FILTER = 'noise=alls=12:allf=t';

export type SceneNoise = 'sensor' | 'yuv';

/**
 * The camera-like scene every export, trigger and stream figure runs on:
 * ffmpeg `testsrc2` (texture, text, moving objects) with per-frame noise,
 * converted to full-range (sYCC) yuv420p as rpicam-vid delivers it, written
 * once per size and replayed at 30 fps by the fake rpicam-vid
 * (test/fixtures/bin, FAKE_RPICAM_FRAMES). `rgbFile` holds the same frames
 * converted by picam's own I420 to RGB, for the seed's reference and the
 * encoder ceiling, so both sides compress the very same pixels.
 */
export interface Scene {
  size: Size;
  yuvFile: string;
  rgbFile: string;
  frames: number;
}

export class Scenes {
  private dir: string | undefined;
  private readonly made = new Map<string, Promise<Scene>>();

  get(size: Size, noise: SceneNoise = 'sensor'): Promise<Scene> {
    const key = `${size[0]}x${size[1]}-${noise}`;
    let scene = this.made.get(key);
    if (!scene) {
      scene = this.make(size, key, noise === 'sensor' ? SCENE_FILTER : YUV_NOISE_FILTER);
      this.made.set(key, scene);
    }
    return scene;
  }

  private async make(size: Size, key: string, filter: string): Promise<Scene> {
    this.dir ??= trackFolder(await mkdtemp(path.join(os.tmpdir(), 'picam-bench-scene-')));
    const [width, height] = size;
    const yuvFile = path.join(this.dir, `${key}.yuv`);
    const rgbFile = path.join(this.dir, `${key}.rgb`);
    await run('ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-nostdin',
      '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=30,${filter}`,
      '-frames:v', String(SCENE_FRAMES),
      '-vf', 'scale=out_range=full:out_color_matrix=bt601,format=yuv420p',
      '-f', 'rawvideo', '-y', yuvFile,
    ]);
    const yuv = await readFile(yuvFile);
    const frameBytes = width * height * 1.5;
    const rgb = Buffer.alloc(width * height * 3);
    const handle = await open(rgbFile, 'w');
    try {
      for (let i = 0; i < SCENE_FRAMES; i++) {
        i420ToRgb(yuv.subarray(i * frameBytes, (i + 1) * frameBytes), width, height, rgb, 'full');
        await handle.write(rgb);
      }
    } finally {
      await handle.close();
    }
    return { size, yuvFile, rgbFile, frames: SCENE_FRAMES };
  }

  async remove(): Promise<void> {
    if (this.dir === undefined) return;
    await rm(this.dir, { recursive: true, force: true });
    releaseFolder(this.dir);
    this.dir = undefined;
    this.made.clear();
  }
}

/** Service config and start options for the fake rpicam-vid replaying `scene` at `fps`, in yuv420 as on a Pi. */
export function sceneCamera(scene: Scene, fps = 30): { camera: Record<string, unknown>; options: StartOptions } {
  return {
    camera: { source: 'rpicam', codec: 'yuv420', width: scene.size[0], height: scene.size[1], framerate: fps },
    options: { pathPrepend: [path.join(FIXTURES, 'bin')], env: { FAKE_RPICAM_FRAMES: scene.yuvFile, FAKE_RPICAM_STARTUP_S: '0', FAKE_RPICAM_RELEASE_S: '0' } },
  };
}
