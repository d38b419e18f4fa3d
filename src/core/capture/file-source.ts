import { ffmpegFileArgs } from './ffmpeg-args.js';
import type { ExposureSettings } from './frame-source.js';
import type { PixelFormat } from './frame.js';
import { ProcessSource } from './process-source.js';

export interface FileSourceOptions {
  file: string;
  width: number;
  height: number;
  /** Nominal rate for stall detection and ring sizing; the clip plays at its own. */
  fps: number;
  format: Exclude<PixelFormat, 'gray8'>;
  hflip: boolean;
  vflip: boolean;
  rotation: 0 | 180;
  dayExposure: ExposureSettings;
}

/**
 * A recorded clip replayed in a loop at its own rate through ffmpeg, for
 * trying picam on real footage. Exposure is baked into the recording, so
 * night settings cannot change it: apply() never restarts the replay.
 */
export function fileSource(o: FileSourceOptions): ProcessSource {
  return new ProcessSource({
    kind: 'file',
    tool: 'ffmpeg',
    width: o.width,
    height: o.height,
    format: o.format,
    fps: o.fps,
    dayExposure: o.dayExposure,
    command: () => ({ file: 'ffmpeg', args: ffmpegFileArgs(o) }),
    applyInPlace: async () => false,
    exposureFixed: true,
  });
}
