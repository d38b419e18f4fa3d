/**
 * Pixel layouts frames are kept in, as the source delivers them: raw RGB24,
 * planar I420 (`yuv420`), 8-bit luma (`gray8`), or whole JPEG images (`mjpeg`).
 */
export type PixelFormat = 'rgb24' | 'gray8' | 'yuv420' | 'mjpeg';

/**
 * Quantisation of YUV samples: `full` uses 0-255 for luma and chroma (sYCC /
 * JFIF, what rpicam-vid delivers for yuv420 and mjpeg, and what picam asks
 * ffmpeg for), `limited` 16-235 luma and 16-240 chroma (video range).
 */
export type ColorRange = 'full' | 'limited';

export interface FrameGeometry {
  width: number;
  height: number;
  format: PixelFormat;
  /** Range of yuv420 frames; RGB and JPEG carry their own (full). Default `limited`. */
  colorRange?: ColorRange;
}

/**
 * Bytes one frame takes in the ring. JPEG frames vary in size; 1.5 bytes per
 * pixel (the size of the same frame in I420) holds any camera JPEG at
 * sensible quality, and a larger one is dropped and counted, never truncated.
 */
export function frameBytes({ width, height, format }: FrameGeometry): number {
  switch (format) {
    case 'rgb24':
      return width * height * 3;
    case 'gray8':
      return width * height;
    case 'yuv420':
    case 'mjpeg':
      return width * height + 2 * Math.ceil(width / 2) * Math.ceil(height / 2);
  }
}

/** How and when a frame was captured, as the source reports it. */
export interface CaptureInfo {
  /** Wall clock, milliseconds since the Unix epoch. */
  timestampMs: number;
  /** Monotonic clock (performance.now()), immune to clock steps. */
  monotonicMs: number;
  exposureUs: number;
  gain: number;
}

/** Metadata the ring keeps for every frame. */
export interface FrameMeta extends CaptureInfo {
  id: number;
  /** Bytes of the frame in its slot (varies for mjpeg). */
  length: number;
  darkScore: number;
  night: boolean;
}
