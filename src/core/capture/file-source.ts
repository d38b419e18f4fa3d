import { ffmpegFileArgs, type FfmpegCameraOptions } from './ffmpeg-args.js';
import { ProcessSource } from './process-source.js';

export interface FileSourceOptions extends FfmpegCameraOptions {
  file: string;
}

/**
 * A recorded clip replayed in a loop at its own rate through ffmpeg, for
 * trying picam on real footage. Exposure is baked into the recording, so
 * night settings cannot change it: apply() never restarts the replay.
 */
export function fileSource(o: FileSourceOptions): ProcessSource {
  return new ProcessSource({
    ...o, // size, format, frame rate, day exposure, backoff
    kind: 'file',
    tool: 'ffmpeg',
    colorRange: 'full', // ffmpeg-args asks for full-range I420
    command: () => ({ file: 'ffmpeg', args: ffmpegFileArgs(o) }),
    applyInPlace: async () => false,
    exposureFixed: true,
  });
}
