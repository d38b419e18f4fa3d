import { access } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import type { Config } from '../config/schema.js';
import { PicamError } from '../errors.js';
import { findCaptureDevice, HOST_ROOTS, type HostRoots } from './capture-devices.js';
import { fileSource } from './file-source.js';
import type { ExposureSettings, FrameSource } from './frame-source.js';
import type { FfmpegCameraOptions } from './ffmpeg-args.js';
import { i420Layout } from './frame-layout.js';
import { boardModel, rowAlignment } from './pi-model.js';
import { SENSOR_MAX_EXPOSURE_US } from './exposure-limits.js';
import { parseCameraList, parseCameraSensor, RPICAM_LIST_ARGS } from './rpicam-args.js';
import { rpicamSource } from './rpicam-source.js';
import { SyntheticSource, type SyntheticOptions } from './synthetic-source.js';
import { offersMjpeg } from './v4l2-controls.js';
import { v4l2Source } from './v4l2-source.js';

export interface SourceChoice {
  source: FrameSource;
  /** Why this source was taken, and why the others were not. */
  reason: string;
}

export interface SourceContext {
  /** Folder relative paths (camera.file) resolve against. */
  baseFolder: string;
  warn: (message: string) => void;
  info: (message: string) => void;
  /** /dev and /sys (tests give a fake tree). */
  roots?: HostRoots;
  /** rpicam I420 row alignment when the board's own is not wanted (PICAM_ROW_ALIGN); 0 = by board. */
  rowAlign?: number;
  /** Time for the synthetic source: the core's clock, or a frame clock it drives (clock.ts). */
  clock?: Pick<SyntheticOptions, 'clock' | 'frameClock'>;
}

/**
 * What night brightness is normalised to when the day exposure is left to
 * the camera: 10 ms at gain 1, a typical automatic daylight exposure.
 */
const NOMINAL_DAY: ExposureSettings = { exposureUs: 10_000, gain: 1 };

/** The only switch over source kinds. */
export async function createSource(camera: Config['camera'], context: SourceContext): Promise<SourceChoice> {
  switch (camera.source) {
    case 'synthetic':
      return { source: synthetic(camera, context), reason: 'camera.source is "synthetic"' };
    case 'rpicam': {
      const tool = (await findOnPath(['rpicam-vid', 'libcamera-vid'])) ?? 'rpicam-vid';
      const listed = await execa(tool, RPICAM_LIST_ARGS, { reject: false, timeout: 10_000 });
      const sensor = parseCameraSensor(`${String(listed.stdout)}\n${String(listed.stderr)}`, camera.index);
      return { source: await rpicam(camera, tool, context, sensor), reason: 'camera.source is "rpicam"' };
    }
    case 'v4l2':
      return { source: await v4l2(camera, camera.device, context), reason: 'camera.source is "v4l2"' };
    case 'file':
      return { source: file(camera, context), reason: 'camera.source is "file"' };
    case 'auto':
      return auto(camera, context);
  }
}

/** rpicam if its tool lists our camera, else v4l2 if a capture device exists, else synthetic. */
async function auto(camera: Config['camera'], context: SourceContext): Promise<SourceChoice> {
  const verdicts: string[] = [];
  const tool = await findOnPath(['rpicam-vid', 'libcamera-vid']);
  if (tool) {
    const listed = await execa(tool, RPICAM_LIST_ARGS, { reject: false, timeout: 10_000 });
    const listing = `${String(listed.stdout)}\n${String(listed.stderr)}`;
    const cameras = parseCameraList(listing);
    if (cameras.includes(camera.index)) {
      return { source: await rpicam(camera, tool, context, parseCameraSensor(listing, camera.index)), reason: `auto: ${tool} lists camera ${camera.index} (of ${cameras.length})` };
    }
    verdicts.push(`${tool} lists ${cameras.length === 0 ? 'no camera' : `cameras ${cameras.join(', ')} but not ${camera.index}`}`);
  } else {
    verdicts.push('no rpicam-vid or libcamera-vid on PATH');
  }
  const search = await findCaptureDevice(camera.device, context.roots ?? HOST_ROOTS);
  verdicts.push(...search.verdicts);
  if (search.chosen) {
    return { source: await v4l2(camera, search.chosen.path, context), reason: `auto: ${verdicts.join('; ')}; using V4L2 device ${search.chosen.path} (${search.chosen.name})` };
  }
  verdicts.push('no V4L2 capture device');
  return { source: synthetic(camera, context), reason: `auto: ${verdicts.join('; ')}; using synthetic` };
}

function synthetic(camera: Config['camera'], context: SourceContext): SyntheticSource {
  if (camera.codec !== 'auto' && camera.codec !== 'rgb') {
    throw new PicamError('FAILED_PRECONDITION', `camera.codec: the synthetic source delivers "rgb", received "${camera.codec}"`, { field: 'camera.codec' });
  }
  const turned = camera.rotation === 180;
  return new SyntheticSource({
    width: camera.width,
    height: camera.height,
    framerate: camera.framerate,
    cycleFrames: camera.synthetic_cycle_frames,
    hflip: camera.hflip !== turned,
    vflip: camera.vflip !== turned,
    ...(camera.exposure_us > 0 ? { day: { exposureUs: camera.exposure_us, gain: camera.gain > 0 ? camera.gain : 1 } } : {}),
    ...context.clock,
  });
}

async function rpicam(camera: Config['camera'], tool: string, context: SourceContext, sensor: string | undefined): Promise<FrameSource> {
  if (camera.codec === 'rgb') {
    throw new PicamError('FAILED_PRECONDITION', 'camera.codec: rpicam-vid delivers "yuv420" or "mjpeg", received "rgb"', { field: 'camera.codec' });
  }
  const alignment = rowAlignment(await boardModel((context.roots ?? HOST_ROOTS).sys), context.rowAlign ?? 0);
  const codec = camera.codec === 'mjpeg' ? 'mjpeg' : 'yuv420';
  if (codec === 'yuv420') {
    const layout = i420Layout(camera.width, camera.height, alignment.align);
    context.info(
      `rpicam-vid I420 rows: Y stride ${layout.yStride}, U/V stride ${layout.uvStride} bytes for width ${camera.width} (${alignment.reason}); ` +
        `${layout.wireBytes} bytes a frame on the pipe, ${layout.packedBytes} kept`,
    );
  }
  return rpicamSource({
    tool,
    width: camera.width,
    height: camera.height,
    fps: camera.framerate,
    format: codec,
    mjpegQuality: camera.mjpeg_quality,
    index: camera.index,
    rowAlign: alignment.align,
    hflip: camera.hflip,
    vflip: camera.vflip,
    rotation: camera.rotation,
    day: { exposureUs: camera.exposure_us, gain: camera.gain },
    nominalDay: NOMINAL_DAY,
    backoffMaxMs: camera.restart_backoff_max_s * 1000,
    ...(sensor && SENSOR_MAX_EXPOSURE_US[sensor] !== undefined ? { sensorMaxUs: SENSOR_MAX_EXPOSURE_US[sensor] } : {}),
    warn: context.warn,
  });
}

/** What the ffmpeg-based sources (v4l2, file) take from the camera config. */
function ffmpegCamera(camera: Config['camera']): FfmpegCameraOptions {
  return {
    width: camera.width,
    height: camera.height,
    fps: camera.framerate,
    format: camera.codec === 'yuv420' ? 'yuv420' : camera.codec === 'mjpeg' ? 'mjpeg' : 'rgb24',
    hflip: camera.hflip,
    vflip: camera.vflip,
    rotation: camera.rotation,
    dayExposure: camera.exposure_us > 0 && camera.gain > 0 ? { exposureUs: camera.exposure_us, gain: camera.gain } : NOMINAL_DAY,
    backoffMaxMs: camera.restart_backoff_max_s * 1000,
  };
}

/** USB 2.0 webcams deliver raw YUYV at about 10 fps from this size up; their MJPEG runs at full rate. */
const MJPEG_FROM_PIXELS = 1280 * 720;

async function v4l2(camera: Config['camera'], device: string, context: SourceContext): Promise<FrameSource> {
  let mjpegInput = false;
  if (camera.codec !== 'mjpeg' && camera.width * camera.height >= MJPEG_FROM_PIXELS) {
    const listed = await execa('ffmpeg', ['-hide_banner', '-f', 'v4l2', '-list_formats', 'all', '-i', device], { reject: false, timeout: 10_000 });
    mjpegInput = offersMjpeg(String(listed.stderr), camera.width, camera.height);
    context.info(
      mjpegInput
        ? `${device}: reading the webcam's MJPEG at ${camera.width}x${camera.height} (its raw YUYV is slow over USB 2.0 at this size)`
        : `${device}: no MJPEG at ${camera.width}x${camera.height}; reading its raw format (may be slower than camera.framerate)`,
    );
  }
  return v4l2Source({ ...ffmpegCamera(camera), device, mjpegInput, manualDay: camera.exposure_us > 0 && camera.gain > 0, warn: context.warn, info: context.info });
}

function file(camera: Config['camera'], context: SourceContext): FrameSource {
  if (camera.file === '') {
    throw new PicamError('FAILED_PRECONDITION', 'camera.file: expected the path of a video file for source "file", received ""', { field: 'camera.file' });
  }
  return fileSource({ ...ffmpegCamera(camera), file: path.resolve(context.baseFolder, camera.file) });
}

async function findOnPath(names: string[]): Promise<string | undefined> {
  for (const name of names) {
    for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
      if (dir === '') continue;
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
