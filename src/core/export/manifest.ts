import type { ErrorCode } from '../errors.js';
import type { ExportFormat } from './frame-encoder.js';

export type EventState = 'pending' | 'complete' | 'partial' | 'failed';

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
  file: string;
  frame_ids: number[];
}

/** The `event.json` written last into every event folder. */
export interface Manifest {
  version: 1;
  event_id: string;
  state: EventState;
  trigger: { source: string; reason: string; time: string; time_ms: number };
  window: { before_s: number; after_s: number; start: string; end: string };
  formats: ExportFormat[];
  frames: ManifestFrame[];
  missing: MissingFrames[];
  stacks: StackedImage[];
  /** What went wrong, when something did; `error_code` is one of the core's error codes. */
  error?: string;
  error_code?: ErrorCode;
  finished: string;
  bytes: number;
}

export const MANIFEST_FILE = 'event.json';
