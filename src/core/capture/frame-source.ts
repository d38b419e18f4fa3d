import type { CaptureInfo, ColorRange, PixelFormat } from '../frame.js';

export type SourceKind = 'synthetic' | 'rpicam' | 'v4l2' | 'file';

/** Exposure settings a source applies (night mode switches them). */
export interface ExposureSettings {
  exposureUs: number;
  gain: number;
}

/** What the core asks a running source to capture with. */
export interface CaptureSettings {
  exposure: ExposureSettings;
  /** Frame rate; lower than camera.framerate at night in slow_video/still mode. */
  fps: number;
}

/**
 * Where a source puts frames: straight into the next ring slot. `acquire`
 * returns the slot buffer (evicting its old frame), `commit` publishes the
 * first `length` bytes as a frame.
 */
export interface FrameSink {
  acquire(): Buffer;
  commit(length: number, capture: CaptureInfo): void;
  /** A frame was lost before reaching the ring (oversized, truncated). */
  dropped(reason: string): void;
  /** The source hit a problem (process exited, stalled); it restarts by itself. */
  error(message: string): void;
  /** A line of the camera tool's own output (stderr), already rate-limited; `important` for error lines. */
  log(message: string, important?: boolean): void;
}

export interface SourceStats {
  restarts: number;
  lastError: string;
}

/**
 * One interface for every kind of camera. A source owns its process or timer
 * and writes frames into the sink; the core owns what happens to them.
 */
export interface FrameSource {
  readonly kind: SourceKind;
  readonly width: number;
  readonly height: number;
  readonly format: PixelFormat;
  /** The YUV range of its yuv420 frames (what the conversion to RGB must assume). */
  readonly colorRange: ColorRange;
  /** Exposure × gain of daytime capture; night brightness is normalised to it. */
  readonly dayExposure: ExposureSettings;
  start(sink: FrameSink): Promise<void>;
  stop(): Promise<void>;
  /** Applies new exposure and frame rate (a process source restarts its tool). */
  apply(settings: CaptureSettings): void;
  stats(): SourceStats;
}
