import type { CapturedFrame, PixelFormat } from './frame.js';

export type SourceKind = 'synthetic';

/** Receives frames and state changes from a running source. */
export interface FrameSink {
  frame(frame: CapturedFrame): void;
  /** The source failed; it may still recover by itself. */
  error(error: Error): void;
}

/** Exposure settings a source applies (night mode switches them). */
export interface ExposureSettings {
  exposureUs: number;
  gain: number;
}

/**
 * One interface for every kind of camera. A source owns its process or timer;
 * the core owns what happens to frames.
 */
export interface FrameSource {
  readonly kind: SourceKind;
  readonly width: number;
  readonly height: number;
  readonly format: PixelFormat;
  /** The settings used in daytime; night mode is judged relative to these. */
  readonly dayExposure: ExposureSettings;
  start(sink: FrameSink): Promise<void>;
  stop(): Promise<void>;
  setExposure(settings: ExposureSettings): void;
  /** Lower the frame rate (night `slow_video`), or restore it with undefined. */
  setFrameRate(fps: number | undefined): void;
}
