/**
 * What a V4L2 webcam offers, read from its own listings: the formats
 * (`ffmpeg -f v4l2 -list_formats all`) and the exposure and gain controls
 * with their ranges (`v4l2-ctl --list-ctrls`), whose units differ per device.
 */
export interface ControlRange {
  name: string;
  min: number;
  max: number;
}

export interface ExposureControls {
  /** auto_exposure (exposure_auto on older kernels): 1 = manual, 3 = aperture priority. */
  auto?: string;
  /** exposure_time_absolute (exposure_absolute): 100 µs units. */
  exposure?: ControlRange;
  gain?: ControlRange;
}

/** True when the device lists MJPEG at `width`x`height` (or a stepwise size range). */
export function offersMjpeg(listing: string, width: number, height: number): boolean {
  const line = /Compressed:\s*mjpeg\s*:[^:]*:(.*)$/m.exec(listing);
  if (!line) return false;
  const sizes = line[1]!;
  return sizes.includes(`${width}x${height}`) || /\{\s*\d+-\d+/.test(sizes);
}

/** The exposure and gain controls in `v4l2-ctl --list-ctrls` output. */
export function parseControls(listing: string): ExposureControls {
  const controls: ExposureControls = {};
  for (const match of listing.matchAll(/^\s*(\w+)\s+0x[0-9a-f]+\s+\((\w+)\)\s*:\s*min=(-?\d+)\s+max=(-?\d+)/gim)) {
    const [, name, , min, max] = match;
    const range = { name: name!, min: Number(min), max: Number(max) };
    if (name === 'auto_exposure' || name === 'exposure_auto') controls.auto = name;
    else if (name === 'exposure_time_absolute' || name === 'exposure_absolute') controls.exposure = range;
    else if (name === 'gain' || name === 'analogue_gain') controls.gain = range;
  }
  return controls;
}

/**
 * `--set-ctrl` value for a manual exposure in the device's units: exposure
 * in its 100 µs steps clamped to its range; picam's gain 1-16 spread over
 * the device's gain range (gain units are device-specific), 16 and more at
 * its maximum. Returns the setting and what was clamped.
 */
export function manualExposureControls(controls: ExposureControls, exposureUs: number, gain: number): { set: string; notes: string[] } {
  const notes: string[] = [];
  const parts = [`${controls.auto ?? 'auto_exposure'}=1`];
  if (controls.exposure) {
    const { name, min, max } = controls.exposure;
    const wanted = Math.round(exposureUs / 100);
    const value = Math.min(max, Math.max(min, wanted));
    if (value !== wanted) notes.push(`${name} ${wanted} clamped to the device's ${min}-${max} (100 µs units)`);
    parts.push(`${name}=${value}`);
  } else {
    notes.push('no exposure_time_absolute control: exposure left to the camera');
  }
  if (controls.gain) {
    const { name, min, max } = controls.gain;
    const share = Math.min(1, Math.max(0, (gain - 1) / 15));
    parts.push(`${name}=${Math.round(min + share * (max - min))}`);
  }
  return { set: parts.join(','), notes };
}
