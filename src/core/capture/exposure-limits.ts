import type { CaptureSettings, ExposureSettings } from './frame-source.js';

/**
 * Longest shutter each Pi camera's sensor takes (Raspberry Pi camera
 * documentation): Camera Module 1 (ov5647) 3.28 s, v2 (imx219) 11.76 s,
 * v3 (imx708) 112 s, HQ and GS (imx477/imx296) 670.74 s / 15.5 s.
 */
export const SENSOR_MAX_EXPOSURE_US: Readonly<Record<string, number>> = {
  ov5647: 3_280_000,
  imx219: 11_760_000,
  imx708: 112_000_000,
  imx477: 670_740_000,
  imx296: 15_534_385,
};

/** A frame rate rounded down to what rpicam-vid is given (3 decimals), so the frame is never shorter than the shutter. */
export function floorFps(fps: number): number {
  return Math.floor(fps * 1000 + 1e-9) / 1000;
}

/**
 * The exposure the camera really uses for `settings`: libcamera clamps the
 * shutter to the frame duration and to the sensor's maximum. picam passes
 * and records the clamped value, so night-mode normalisation divides by
 * what was in force, not what was asked for.
 */
export function exposureInForce(settings: CaptureSettings, sensorMaxUs: number | undefined): ExposureSettings & { clamped: string | undefined } {
  const frameUs = 1e6 / settings.fps;
  const { exposureUs, gain } = settings.exposure;
  if (sensorMaxUs !== undefined && exposureUs > sensorMaxUs && sensorMaxUs <= frameUs) {
    return { exposureUs: sensorMaxUs, gain, clamped: `the sensor's longest exposure, ${sensorMaxUs} µs` };
  }
  if (exposureUs > frameUs) return { exposureUs: Math.floor(frameUs), gain, clamped: `the frame duration at ${settings.fps} fps, ${Math.floor(frameUs)} µs` };
  return { exposureUs, gain, clamped: undefined };
}
