/** Pixel layouts a source can hand over. Only rgb24 is produced so far. */
export type PixelFormat = 'rgb24' | 'gray8' | 'yuv420';

export function frameBytes(width: number, height: number, format: PixelFormat): number {
  switch (format) {
    case 'rgb24':
      return width * height * 3;
    case 'gray8':
      return width * height;
    case 'yuv420':
      return width * height + 2 * Math.ceil(width / 2) * Math.ceil(height / 2);
  }
}

/** What a source hands over for one frame. `data` is only valid during the call. */
export interface CapturedFrame {
  data: Buffer;
  /** Capture time, milliseconds since the Unix epoch. */
  timestampMs: number;
  exposureUs: number;
  gain: number;
}

/** Metadata the ring keeps for every frame. */
export interface FrameMeta {
  id: number;
  timestampMs: number;
  darkScore: number;
  night: boolean;
  exposureUs: number;
  gain: number;
}
