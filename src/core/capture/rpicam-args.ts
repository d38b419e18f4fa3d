import { floorFps } from './exposure-limits.js';

/** Settings the rpicam-vid command line is built from. */
export interface RpicamArgsOptions {
  width: number;
  height: number;
  fps: number;
  codec: 'yuv420' | 'mjpeg';
  /** libjpeg quality of `mjpeg` frames (rpicam-vid `--quality`). */
  mjpegQuality: number;
  index: number;
  hflip: boolean;
  vflip: boolean;
  rotation: 0 | 180;
  /** 0 leaves exposure to the camera's automatic control. */
  exposureUs: number;
  /** 0 leaves gain to the camera's automatic control. */
  gain: number;
}

/**
 * The rpicam-vid (libcamera-vid) command line: endless (`-t 0`), no preview
 * window, raw I420 or MJPEG frames to stdout, flushed after every frame so
 * the pipe never holds a frame back; MJPEG at the quality asked (the tool
 * encodes in software with libjpeg, 50 unless told). `--verbose=0` silences the dozen
 * libcamera INFO lines of every start (the log's stderr budget would go on
 * them); the tool's own errors ("ERROR: *** ... ***", "Device timeout
 * detected") are printed at any verbosity. The `=` form because the option
 * has an implicit value: a separate `0` would not be taken as its argument.
 */
export function rpicamArgs(o: RpicamArgsOptions): string[] {
  const args = ['-t', '0', '--nopreview', '--verbose=0', '--camera', String(o.index)];
  args.push('--width', String(o.width), '--height', String(o.height), '--framerate', formatNumber(floorFps(o.fps)));
  args.push('--codec', o.codec);
  if (o.codec === 'mjpeg') args.push('--quality', String(o.mjpegQuality));
  args.push('--flush');
  if (o.hflip) args.push('--hflip');
  if (o.vflip) args.push('--vflip');
  if (o.rotation !== 0) args.push('--rotation', String(o.rotation));
  if (o.exposureUs > 0) args.push('--shutter', String(Math.round(o.exposureUs)));
  if (o.gain > 0) args.push('--gain', formatNumber(o.gain));
  args.push('-o', '-');
  return args;
}

/** Arguments that list the cameras libcamera sees. */
export const RPICAM_LIST_ARGS = ['--list-cameras'];

/** Camera indexes in `rpicam-vid --list-cameras` output ("0 : imx708 [4608x2592 ...]"). */
export function parseCameraList(output: string): number[] {
  return [...output.matchAll(/^\s*(\d+)\s*:\s*\S+/gm)].map((m) => Number(m[1]));
}

/** The sensor of camera `index` in `--list-cameras` output ("imx708" from "0 : imx708_wide [..."). */
export function parseCameraSensor(output: string, index: number): string | undefined {
  const match = new RegExp(`^\\s*${index}\\s*:\\s*([a-z0-9]+)`, 'mi').exec(output);
  return match?.[1]?.toLowerCase();
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(3).replace(/0+$/, '');
}
