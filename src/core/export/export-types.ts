import type { Clock } from '../clock.js';
import type { FrameGeometry } from '../frame.js';
import type { CompressedTier } from '../ring/compressed-tier.js';
import type { RingBuffer } from '../ring/ring-buffer.js';
import type { ExportFormat } from './export-format.js';
import type { EventState, Manifest } from './manifest.js';

export interface ExportSettings {
  baseDir: string;
  formats: ExportFormat[];
  beforeS: number;
  afterS: number;
  jpegQuality: number;
  pngCompression: number;
  stack: boolean;
  stackCount: number;
  darkThreshold: number;
  maxPending: number;
  /** Nominal frame rate, for the clip when the window holds too few frames to measure it. */
  framerate: number;
}

export interface TriggerOptions {
  /** Which adapter triggered: "grpc", "line", ... */
  source: string;
  reason: string;
  label: string;
  beforeS?: number | undefined;
  afterS?: number | undefined;
  formats?: ExportFormat[] | undefined;
  stack?: boolean | undefined;
}

export interface PendingTrigger {
  source: string;
  reason: string;
}

export interface EventProgress {
  eventId: string;
  state: EventState;
  dir: string;
  /** Who triggered it and why (every state), so listeners need not read the folder. */
  trigger: PendingTrigger & { timeMs: number };
  /** The manifest as written, once the event is finished. */
  manifest?: Manifest;
  framesWritten: number;
  error?: string | undefined;
}

export interface AcceptedEvent {
  eventId: string;
  dir: string;
  triggerMs: number;
  framesBefore: number;
  /** Settles with the final manifest; never rejects. */
  done: Promise<Manifest>;
}

export interface ExporterDeps {
  ring: RingBuffer;
  /** Older frames of a raw source as JPEG, read once the ring has dropped them. */
  tier?: CompressedTier | undefined;
  geometry: FrameGeometry;
  settings: () => ExportSettings;
  progress: (progress: EventProgress) => void;
  warn: (message: string, details: Record<string, unknown>) => void;
  /** Trigger times and windows are read off it (the core's clock). */
  clock: Clock;
  /** export.max_buffer_bytes, read at every trigger; undefined sizes the budget from the ring. */
  maxBufferBytes?: (() => number | undefined) | undefined;
}
