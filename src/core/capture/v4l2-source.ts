import { execa } from 'execa';
import { ffmpegV4l2Args, type FfmpegCameraOptions } from './ffmpeg-args.js';
import type { ExposureSettings } from './frame-source.js';
import { ProcessSource } from './process-source.js';

export interface V4l2SourceOptions extends FfmpegCameraOptions {
  device: string;
  /** Reports what could not be applied. */
  warn(message: string): void;
}

/**
 * A USB webcam through `ffmpeg -f v4l2`. Exposure and gain are device
 * controls, set with v4l2-ctl (v4l-utils) when it is installed; a new frame
 * rate needs ffmpeg restarted.
 */
export function v4l2Source(o: V4l2SourceOptions): ProcessSource {
  return new ProcessSource({
    ...o, // size, format, frame rate, day exposure, backoff
    kind: 'v4l2',
    tool: 'ffmpeg',
    colorRange: 'full', // ffmpeg-args asks for full-range I420
    command: (settings) => ({ file: 'ffmpeg', args: ffmpegV4l2Args({ ...o, fps: settings.fps }) }),
    applyInPlace: async (settings, previous) => {
      if (settings.exposure !== previous.exposure) await setExposureControls(o, settings.exposure);
      return settings.fps !== previous.fps;
    },
  });
}

async function setExposureControls(o: V4l2SourceOptions, exposure: ExposureSettings): Promise<void> {
  const automatic = exposure === o.dayExposure;
  // exposure_time_absolute is in 100 µs units; auto_exposure 1 = manual, 3 = aperture priority (auto).
  const controls = automatic
    ? 'auto_exposure=3'
    : `auto_exposure=1,exposure_time_absolute=${Math.max(1, Math.round(exposure.exposureUs / 100))},gain=${Math.round(exposure.gain)}`;
  const result = await execa('v4l2-ctl', ['-d', o.device, `--set-ctrl=${controls}`], { reject: false, timeout: 5000 });
  if (result.failed) o.warn(`cannot set exposure on ${o.device} (v4l2-ctl --set-ctrl=${controls}): ${result.shortMessage}`);
}
