import { exposureInForce, floorFps } from './exposure-limits.js';
import type { ExposureSettings } from './frame-source.js';
import { i420Layout } from './frame-layout.js';
import { ProcessSource } from './process-source.js';
import { rpicamArgs } from './rpicam-args.js';

export interface RpicamSourceOptions {
  tool: string;
  width: number;
  height: number;
  fps: number;
  format: 'yuv420' | 'mjpeg';
  /** libjpeg quality rpicam-vid encodes `mjpeg` frames at. */
  mjpegQuality: number;
  index: number;
  hflip: boolean;
  vflip: boolean;
  rotation: 0 | 180;
  /** Byte alignment of the ISP's I420 rows (64 on a Pi 4 and older, 128 on a Pi 5). */
  rowAlign: number;
  /** Day exposure; 0 values leave it to the camera's automatic control. */
  day: { exposureUs: number; gain: number };
  /** What night brightness is normalised to when day exposure is automatic. */
  nominalDay: ExposureSettings;
  backoffMaxMs: number;
  /** The sensor's longest shutter, when the sensor is known. */
  sensorMaxUs?: number;
  /** Says when a shutter is clamped to what the camera can do. */
  warn(message: string): void;
}

/**
 * The Raspberry Pi camera through rpicam-vid (libcamera). Exposure, gain and
 * frame rate are command-line settings, so changing them restarts the tool.
 * Its I420 is full range (rpicam-vid asks libcamera for sYCC with yuv420 and
 * mjpeg) with rows padded to the ISP's stride.
 */
export function rpicamSource(o: RpicamSourceOptions): ProcessSource {
  const fps = floorFps(o.fps);
  const asked = o.day.exposureUs > 0 && o.day.gain > 0 ? o.day : o.nominalDay;
  const dayInForce = exposureInForce({ exposure: asked, fps }, o.sensorMaxUs);
  if (dayInForce.clamped && o.day.exposureUs > 0) {
    o.warn(`camera.exposure_us: ${o.day.exposureUs} µs is longer than ${dayInForce.clamped}; the camera uses ${dayInForce.exposureUs} µs`);
  }
  // Night brightness is normalised to the day exposure really in force.
  const day = dayInForce.clamped ? { exposureUs: dayInForce.exposureUs, gain: asked.gain } : asked;
  let lastWarned = '';
  const inForce = (settings: { exposure: ExposureSettings; fps: number }): ExposureSettings => {
    const real = exposureInForce({ exposure: settings.exposure, fps: floorFps(settings.fps) }, o.sensorMaxUs);
    if (real.clamped && real.clamped !== lastWarned && settings.exposure !== day) o.warn(`exposure ${settings.exposure.exposureUs} µs clamped to ${real.clamped}`);
    lastWarned = real.clamped ?? '';
    return { exposureUs: real.exposureUs, gain: real.gain };
  };
  return new ProcessSource({
    kind: 'rpicam',
    tool: o.tool,
    width: o.width,
    height: o.height,
    format: o.format,
    fps,
    colorRange: 'full',
    inForce,
    ...(o.format === 'yuv420' ? { wireLayout: i420Layout(o.width, o.height, o.rowAlign) } : {}),
    dayExposure: day,
    backoffMaxMs: o.backoffMaxMs,
    command: (settings) => {
      // In daytime keep the user's (possibly automatic) settings; at night force the night ones.
      const isDay = settings.exposure === day;
      const exposure = inForce(settings);
      return {
        file: o.tool,
        args: rpicamArgs({
          ...o,
          codec: o.format,
          fps: settings.fps,
          exposureUs: isDay ? (o.day.exposureUs > 0 ? day.exposureUs : 0) : exposure.exposureUs,
          gain: isDay ? o.day.gain : exposure.gain,
        }),
      };
    },
  });
}
