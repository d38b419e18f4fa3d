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
}

/**
 * The Raspberry Pi camera through rpicam-vid (libcamera). Exposure, gain and
 * frame rate are command-line settings, so changing them restarts the tool.
 * Its I420 is full range (rpicam-vid asks libcamera for sYCC with yuv420 and
 * mjpeg) with rows padded to the ISP's stride.
 */
export function rpicamSource(o: RpicamSourceOptions): ProcessSource {
  const day = o.day.exposureUs > 0 && o.day.gain > 0 ? o.day : o.nominalDay;
  return new ProcessSource({
    kind: 'rpicam',
    tool: o.tool,
    width: o.width,
    height: o.height,
    format: o.format,
    fps: o.fps,
    colorRange: 'full',
    ...(o.format === 'yuv420' ? { wireLayout: i420Layout(o.width, o.height, o.rowAlign) } : {}),
    dayExposure: day,
    backoffMaxMs: o.backoffMaxMs,
    command: (settings) => {
      // In daytime keep the user's (possibly automatic) settings; at night force the night ones.
      const isDay = settings.exposure === day;
      return {
        file: o.tool,
        args: rpicamArgs({
          ...o,
          codec: o.format,
          fps: settings.fps,
          exposureUs: isDay ? o.day.exposureUs : settings.exposure.exposureUs,
          gain: isDay ? o.day.gain : settings.exposure.gain,
        }),
      };
    },
  });
}
