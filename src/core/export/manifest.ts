import type { ColorRange, PixelFormat } from '../frame.js';
import type { ErrorCode } from '../errors.js';
import type { ExportFormat } from './exporter.js';

/** `cancelled` (deleted while being written) is reported, never written: its folder is removed. */
export type EventState = 'pending' | 'complete' | 'partial' | 'failed' | 'cancelled';

export interface ManifestFrame {
  id: number;
  timestamp: string;
  timestamp_ms: number;
  /** Monotonic capture time (ms, this process's clock): immune to wall-clock steps. */
  monotonic_ms: number;
  dark_score: number;
  night: boolean;
  exposure_us: number;
  gain: number;
  /**
   * Where the frame came from: `raw` (the ring, exactly as captured; for an
   * mjpeg source that is the camera's own JPEG), or `jpeg q<N>` (the compressed
   * tier: a JPEG at quality N made from the raw frame, so its npy/png are decoded
   * from that JPEG, not the raw pixels).
   */
  tier: string;
  /** File names relative to the event folder. */
  files: string[];
}

/** Frames of the window that were not written, as an inclusive id range. */
export interface MissingFrames {
  first_id: number;
  last_id: number;
  reason: string;
}

export interface StackedImage {
  /** One file per per-frame format, e.g. stack_0000000101-0000000104.jpg. */
  files: string[];
  frame_ids: number[];
}

/** The `event.json` written last into every event folder. */
export interface Manifest {
  version: 1;
  event_id: string;
  state: EventState;
  trigger: { source: string; reason: string; label: string; time: string; time_ms: number; monotonic_ms: number };
  /** The window by wall clock (informative) and by monotonic clock (what selected the frames). */
  window: { before_s: number; after_s: number; start: string; end: string; start_monotonic_ms: number; end_monotonic_ms: number };
  formats: ExportFormat[];
  /**
   * How the camera delivered the frames: format kept in the ring, size, and
   * the YUV range (`full` = sYCC/JFIF 0-255, `limited` = 16-235) I420 frames
   * were converted to RGB from.
   */
  capture?: { format: PixelFormat; width: number; height: number; color_range: ColorRange };
  frames: ManifestFrame[];
  missing: MissingFrames[];
  stacks: StackedImage[];
  /** The event's H.264 clip, when `mp4` was asked for and made. */
  clip?: string;
  /** What went wrong, when something did; `error_code` is one of the core's error codes. */
  error?: string;
  error_code?: ErrorCode;
  finished: string;
  bytes: number;
}

export const MANIFEST_FILE = 'event.json';
