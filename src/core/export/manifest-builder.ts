import type { ErrorCode } from '../errors.js';
import type { FrameGeometry, FrameMeta } from '../frame.js';
import type { ExportFormat } from './export-format.js';
import { MANIFEST_VERSION, type EventState, type Manifest, type ManifestFrame, type MissingFrames, type StackedImage } from './manifest.js';

/** Everything an export's sinks and reader reported, for the manifest. */
export interface ExportOutcome {
  eventId: string;
  trigger: { source: string; reason: string; label: string; timeMs: number; monotonicMs: number };
  window: { beforeS: number; afterS: number; startMonotonicMs: number; endMonotonicMs: number };
  formats: ExportFormat[];
  geometry: FrameGeometry;
  /** Frames written, in any order. */
  frames: ManifestFrame[];
  missing: MissingFrames[];
  stacks: StackedImage[];
  /** File name of the clip, when one was made. */
  clip?: string | undefined;
  error?: { message: string; code: ErrorCode } | undefined;
  /** Deleted while being written (its manifest is reported, never written). */
  cancelled: boolean;
  finishedMs: number;
  bytes: number;
}

/** The message a cancelled event's manifest carries. */
export const CANCELLED_MESSAGE = 'cancelled: deleted while it was being written';

/**
 * event.json from what the export reported. Pure: no clock, no disk. Partial
 * means frames of the window are missing; a window holding no frame at all
 * (before=0 after=0) is complete with 0 frames; failed means nothing usable.
 */
export function buildManifest(outcome: ExportOutcome): Manifest {
  const { trigger, window, geometry, cancelled, error } = outcome;
  const frames = [...outcome.frames].sort((a, b) => a.frame_id - b.frame_id);
  const state: EventState = cancelled ? 'cancelled' : error ? (frames.length === 0 ? 'failed' : 'partial') : outcome.missing.length > 0 ? 'partial' : 'complete';
  return {
    version: MANIFEST_VERSION,
    event_id: outcome.eventId,
    state,
    trigger: {
      source: trigger.source,
      reason: trigger.reason,
      label: trigger.label,
      time: new Date(trigger.timeMs).toISOString(),
      time_ms: trigger.timeMs,
      monotonic_ms: round(trigger.monotonicMs),
    },
    window: {
      before_s: window.beforeS,
      after_s: window.afterS,
      start: new Date(trigger.timeMs - window.beforeS * 1000).toISOString(),
      end: new Date(trigger.timeMs + window.afterS * 1000).toISOString(),
      start_monotonic_ms: round(window.startMonotonicMs),
      end_monotonic_ms: round(window.endMonotonicMs),
    },
    formats: outcome.formats,
    capture: { format: geometry.format, width: geometry.width, height: geometry.height, color_range: geometry.colorRange ?? 'limited' },
    frames,
    missing: outcome.missing,
    stacks: outcome.stacks,
    ...(outcome.clip !== undefined && !error && !cancelled ? { clip: outcome.clip } : {}),
    ...(error ? { error: error.message, error_code: error.code } : cancelled ? { error: CANCELLED_MESSAGE, error_code: 'NOT_FOUND' as const } : {}),
    finished: new Date(outcome.finishedMs).toISOString(),
    bytes: outcome.bytes,
  };
}

/** One frame's manifest entry, in the proto's vocabulary. */
export function frameRecord(meta: FrameMeta, tier: string, files: string[]): ManifestFrame {
  return {
    frame_id: meta.id,
    capture_time: new Date(meta.timestampMs).toISOString(),
    capture_time_ms: meta.timestampMs,
    monotonic_ms: round(meta.monotonicMs),
    dark_score: round(meta.darkScore),
    night: meta.night,
    exposure_us: meta.exposureUs,
    gain: meta.gain,
    tier,
    files: [...files].sort(),
  };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
