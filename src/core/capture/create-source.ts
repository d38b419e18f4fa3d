import { access, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config/schema.js';
import type { FrameSource } from './frame-source.js';
import { SyntheticSource } from './synthetic-source.js';

export interface SourceChoice {
  source: FrameSource;
  /** Why this source was taken, and why the others were not. */
  reason: string;
}

/** The only switch over source kinds. */
export async function createSource(camera: Config['camera']): Promise<SourceChoice> {
  const synthetic = (): SyntheticSource =>
    new SyntheticSource({
      width: camera.width,
      height: camera.height,
      framerate: camera.framerate,
      cycleFrames: camera.synthetic_cycle_frames,
    });
  if (camera.source === 'synthetic') return { source: synthetic(), reason: 'camera.source is "synthetic"' };
  const verdicts = await probeCameras();
  return { source: synthetic(), reason: `auto: ${verdicts.join('; ')}; using synthetic` };
}

/**
 * What auto sees on this machine. Capture through rpicam-vid and ffmpeg is not
 * built yet, so a camera found is reported but synthetic is still used.
 */
async function probeCameras(): Promise<string[]> {
  const tool = await findOnPath(['rpicam-vid', 'libcamera-vid']);
  const rpicam = tool ? `${tool} found but the rpicam source is not built yet` : 'no rpicam-vid/libcamera-vid on PATH';
  let devices: string[] = [];
  try {
    devices = (await readdir('/dev')).filter((name) => /^video\d+$/.test(name));
  } catch {
    devices = [];
  }
  const v4l2 = devices.length > 0 ? `/dev/${devices[0]} found but the v4l2 source is not built yet` : 'no /dev/video* device';
  return [rpicam, v4l2];
}

async function findOnPath(names: string[]): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    for (const name of names) {
      try {
        await access(path.join(dir, name));
        return name;
      } catch {
        // not in this folder
      }
    }
  }
  return undefined;
}
