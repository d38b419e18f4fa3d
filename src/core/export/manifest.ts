import type { ColorRange, PixelFormat } from '../frame.js';
import type { ErrorCode } from '../errors.js';
import type { ExportFormat } from './export-format.js';

/** `cancelled` (deleted while being written) is reported, never written: its folder is removed. */
export type EventState = 'pending' | 'complete' | 'partial' | 'failed' | 'cancelled';

/**
 * One saved frame. Names follow the proto (picam.v1 Frame / EventFrame:
 * `frame_id`, `capture_time`, `exposure_us`, `gain`), so event.json, GetEvent
 * and StreamFrames say the same thing the same way. Version 1 manifests
 * called the first two `id` and `timestamp`; `readManifest` accepts both.
 */
export interface ManifestFrame {
  frame_id: number;
  /** Wall-clock capture time, ISO 8601. */
  capture_time: string;
  /** The same instant, milliseconds since the Unix epoch. */
  capture_time_ms: number;
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

/** Version of the manifest written now: 2 renamed frames' `id`/`timestamp`/`timestamp_ms` to the proto's names. */
export const MANIFEST_VERSION = 2;

/** The `event.json` written last into every event folder. */
export interface Manifest {
  version: typeof MANIFEST_VERSION;
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

/** A frame as version 1 wrote it. */
interface ManifestFrameV1 extends Omit<ManifestFrame, 'frame_id' | 'capture_time' | 'capture_time_ms'> {
  id: number;
  timestamp: string;
  timestamp_ms: number;
}

/**
 * A manifest parsed from disk in today's shape. Users keep months of events
 * written by older versions: a version 1 manifest's frames are renamed on
 * read (the file itself is left as it is), anything else passes through.
 */
export function upgradeManifest(parsed: unknown): Manifest {
  const manifest = parsed as Omit<Manifest, 'version' | 'frames'> & { version?: number; frames?: Array<ManifestFrame | ManifestFrameV1> };
  const frames = Array.isArray(manifest.frames) ? manifest.frames.map(upgradeFrame) : [];
  return { ...manifest, version: MANIFEST_VERSION, frames, missing: manifest.missing ?? [], stacks: manifest.stacks ?? [] };
}

function upgradeFrame(frame: ManifestFrame | ManifestFrameV1): ManifestFrame {
  if (!('id' in frame) || 'frame_id' in frame) return frame as ManifestFrame;
  const { id, timestamp, timestamp_ms, ...rest } = frame;
  return { frame_id: id, capture_time: timestamp, capture_time_ms: timestamp_ms, ...rest, tier: rest.tier ?? 'raw' };
}
