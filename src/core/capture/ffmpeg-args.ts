import type { PixelFormat } from '../frame.js';

export interface FfmpegOutputOptions {
  width: number;
  height: number;
  format: Exclude<PixelFormat, 'gray8'> | 'gray8';
  hflip: boolean;
  vflip: boolean;
  rotation: 0 | 180;
}

/** Camera settings both ffmpeg sources (v4l2, file) share. */
export interface FfmpegCameraOptions extends FfmpegOutputOptions {
  format: Exclude<PixelFormat, 'gray8'>;
  /** Frame rate asked of a device; for a file, the nominal rate (it plays at its own). */
  fps: number;
  dayExposure: { exposureUs: number; gain: number };
  /** Longest restart delay of the ffmpeg process, ms. */
  backoffMaxMs: number;
}

export interface FfmpegV4l2Options extends FfmpegOutputOptions {
  device: string;
  fps: number;
  /**
   * Ask the webcam for its MJPEG stream even when frames are kept as rgb or
   * yuv420: USB 2.0 cameras deliver uncompressed YUYV at 720p and above at
   * about 10 fps, MJPEG at full rate.
   */
  mjpegInput?: boolean;
}

export interface FfmpegFileOptions extends FfmpegOutputOptions {
  file: string;
}

const COMMON = ['-hide_banner', '-loglevel', 'error', '-nostdin'];
const PIX_FMT = { rgb24: 'rgb24', yuv420: 'yuv420p', gray8: 'gray' } as const;

/** ffmpeg reading a V4L2 capture device (USB webcam) and writing frames to stdout. */
export function ffmpegV4l2Args(o: FfmpegV4l2Options): string[] {
  const input = ['-f', 'v4l2', '-framerate', String(o.fps), '-video_size', `${o.width}x${o.height}`];
  // Ask the webcam for its own MJPEG when that is what we keep (no decode at all), or when its raw stream is too slow.
  if (o.format === 'mjpeg' || o.mjpegInput === true) input.push('-input_format', 'mjpeg');
  return [...COMMON, ...input, '-i', o.device, ...output(o, false)];
}

/** ffmpeg replaying a recorded clip in a loop at its own rate (`-re`), scaled to the configured size. */
export function ffmpegFileArgs(o: FfmpegFileOptions): string[] {
  return [...COMMON, '-re', '-stream_loop', '-1', '-i', o.file, '-an', ...output(o, true)];
}

function output(o: FfmpegOutputOptions, mustScale: boolean): string[] {
  const filters: string[] = [];
  // I420 out in a defined range: full, like rpicam-vid's, so one conversion fits every source
  // (ffmpeg converts from whatever range the input is tagged with).
  if (o.format === 'yuv420') filters.push(`scale=${o.width}:${o.height}:out_range=full`);
  else if (mustScale || o.format !== 'mjpeg') filters.push(`scale=${o.width}:${o.height}`);
  const flipH = o.hflip !== (o.rotation === 180);
  const flipV = o.vflip !== (o.rotation === 180);
  if (flipH) filters.push('hflip');
  if (flipV) filters.push('vflip');
  if (o.format === 'mjpeg') {
    if (filters.length === 0) return ['-c:v', 'copy', '-f', 'mjpeg', 'pipe:1'];
    return ['-vf', filters.join(','), '-c:v', 'mjpeg', '-q:v', '3', '-f', 'mjpeg', 'pipe:1'];
  }
  return ['-vf', filters.join(','), '-f', 'rawvideo', '-pix_fmt', PIX_FMT[o.format], 'pipe:1'];
}
