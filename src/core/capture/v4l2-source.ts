import { execa } from 'execa';
import { ffmpegV4l2Args, type FfmpegCameraOptions } from './ffmpeg-args.js';
import type { ExposureSettings } from './frame-source.js';
import { ProcessSource } from './process-source.js';
import { manualExposureControls, parseControls, type ExposureControls } from './v4l2-controls.js';

export interface V4l2SourceOptions extends FfmpegCameraOptions {
  device: string;
  /** Read the webcam's MJPEG stream (its raw one is too slow at this size). */
  mjpegInput: boolean;
  /** The day exposure is manual (camera.exposure_us set), not the camera's automatic one. */
  manualDay: boolean;
  /** Reports what could not be applied. */
  warn(message: string): void;
  info(message: string): void;
}

/**
 * A USB webcam through `ffmpeg -f v4l2`. Exposure and gain are device
 * controls, set with v4l2-ctl (v4l-utils) in the device's own units and
 * ranges (`--list-ctrls`); a new frame rate needs ffmpeg restarted.
 */
export function v4l2Source(o: V4l2SourceOptions): ProcessSource {
  let controls: Promise<ExposureControls | undefined> | undefined;
  const apply = (exposure: ExposureSettings): Promise<void> => setExposureControls(o, (controls ??= listControls(o)), exposure);
  const source = new ProcessSource({
    ...o, // size, format, frame rate, day exposure, backoff
    kind: 'v4l2',
    tool: 'ffmpeg',
    colorRange: 'full', // ffmpeg-args asks for full-range I420
    command: (settings) => ({ file: 'ffmpeg', args: ffmpegV4l2Args({ ...o, fps: settings.fps }) }),
    applyInPlace: async (settings, previous) => {
      if (settings.exposure !== previous.exposure) await apply(settings.exposure);
      return settings.fps !== previous.fps;
    },
  });
  if (o.manualDay) void apply(o.dayExposure);
  return source;
}

async function listControls(o: V4l2SourceOptions): Promise<ExposureControls | undefined> {
  const result = await execa('v4l2-ctl', ['-d', o.device, '--list-ctrls'], { reject: false, timeout: 5000 });
  if (result.failed) {
    o.warn(`cannot read the exposure controls of ${o.device} (v4l2-ctl --list-ctrls, from v4l-utils): ${result.shortMessage}`);
    return undefined;
  }
  const controls = parseControls(String(result.stdout));
  const range = (c: { name: string; min: number; max: number } | undefined): string => (c ? `${c.name} ${c.min}-${c.max}` : 'none');
  o.info(`${o.device} controls: exposure ${range(controls.exposure)} (100 µs units), gain ${range(controls.gain)}`);
  return controls;
}

async function setExposureControls(o: V4l2SourceOptions, listed: Promise<ExposureControls | undefined>, exposure: ExposureSettings): Promise<void> {
  const controls = await listed;
  if (!controls) return;
  const automatic = exposure === o.dayExposure && !o.manualDay;
  // auto_exposure 3 = aperture priority (the camera's automatic exposure).
  const { set, notes } = automatic ? { set: `${controls.auto ?? 'auto_exposure'}=3`, notes: [] } : manualExposureControls(controls, exposure.exposureUs, exposure.gain);
  for (const note of notes) o.warn(`${o.device}: ${note}`);
  const result = await execa('v4l2-ctl', ['-d', o.device, `--set-ctrl=${set}`], { reject: false, timeout: 5000 });
  if (result.failed) o.warn(`cannot set exposure on ${o.device} (v4l2-ctl --set-ctrl=${set}): ${result.shortMessage}`);
}
