import type { FrameSource, SourceKind } from '../capture/frame-source.js';
import type { PixelFormat } from '../frame.js';
import type { FrameIngest } from '../ingest/frame-ingest.js';
import type { CompressedTier } from '../ring/compressed-tier.js';
import type { RingBuffer } from '../ring/ring-buffer.js';
import type { StreamReaders, StreamReaderStatus } from '../stream/stream-readers.js';

export interface PicamStatus {
  version: string;
  startMs: number;
  source: {
    kind: SourceKind;
    reason: string;
    running: boolean;
    framesCaptured: number;
    framesDropped: number;
    framesPerSecond: number;
    restarts: number;
    lastError: string;
    width: number;
    height: number;
    format: PixelFormat;
  };
  ring: {
    capacity: number;
    filled: number;
    payloadBytes: number;
    slotBytes: number;
    oldestId: number;
    newestId: number;
    spanS: number;
    /** Seconds held when full: for a packed ring, at the mean size of the frames held now. */
    capacityS: number;
    /** Frames packed by size (JPEG) rather than in fixed slots. */
    packed: boolean;
    bytesHeld: number;
    /** The compressed tier of a raw source, when on. */
    compressed?: CompressedTierStatus;
  };
  serving: boolean;
  eventsPending: number;
  eventsTotal: number;
  streamSubscribers: number;
  streamEncodes: number;
  /** Frames skipped because stream readers were slower than capture (not max_fps), all subscribers since start. */
  streamDropped: number;
  /** Each reader now, with what it has in flight. */
  streamReaders: StreamReaderStatus[];
  night: boolean;
  /** Core events dropped because a subscriber (WatchEvents, MQTT, ...) fell 256 behind, all subscribers since start. */
  eventsDropped: number;
}

export interface CompressedTierStatus {
  quality: number;
  payloadBytes: number;
  bytesHeld: number;
  filled: number;
  oldestId: number;
  newestId: number;
  spanS: number;
  capacityS: number;
  encoded: number;
  skipped: number;
  /** Mean milliseconds from copy to stored per frame (latency, with the worker and sharp's threads). */
  meanEncodeMs: number;
}

/** What the status is read from. */
export interface StatusParts {
  version: string;
  startMs: number;
  source: FrameSource;
  sourceReason: string;
  ingest: FrameIngest;
  serving: boolean;
  ring: RingBuffer;
  tier: CompressedTier | undefined;
  /** camera.framerate: capacities in seconds are at the asked rate. */
  framerate: number;
  exporter: { pendingCount: number; totalCount: number };
  encodes: number;
  readers: StreamReaders;
  night: boolean;
  eventsDropped: number;
}

/** The status as adapters show it (GetStatus, STATUS, /api/status, /metrics): a snapshot, computed on demand. */
export function statusView(parts: StatusParts): PicamStatus {
  const { ring, source, ingest, serving } = parts;
  const oldest = ring.timestampOf(ring.oldestId);
  const newest = ring.timestampOf(ring.newestId);
  const sourceStats = source.stats();
  return {
    version: parts.version,
    startMs: parts.startMs,
    source: {
      kind: source.kind,
      reason: parts.sourceReason,
      running: serving,
      framesCaptured: ingest.framesCaptured,
      framesDropped: ingest.framesDropped,
      framesPerSecond: serving ? Math.round(ingest.fps * 100) / 100 : 0,
      restarts: sourceStats.restarts,
      lastError: sourceStats.lastError || ingest.lastError,
      width: source.width,
      height: source.height,
      format: source.format,
    },
    ring: {
      capacity: ring.capacity,
      filled: ring.size,
      payloadBytes: ring.payloadBytes,
      slotBytes: ring.slotBytes,
      oldestId: ring.oldestId,
      newestId: ring.newestId,
      spanS: oldest !== undefined && newest !== undefined ? (newest - oldest) / 1000 : 0,
      capacityS: ring.framesAtCurrentSize / parts.framerate,
      packed: ring.packed,
      bytesHeld: ring.bytesHeld,
      ...(parts.tier ? { compressed: tierStatus(parts.tier, parts.framerate) } : {}),
    },
    serving,
    eventsPending: parts.exporter.pendingCount,
    eventsTotal: parts.exporter.totalCount,
    streamSubscribers: ingest.listeners,
    streamEncodes: parts.encodes,
    streamDropped: parts.readers.lagged,
    streamReaders: parts.readers.list(),
    night: parts.night,
    eventsDropped: parts.eventsDropped,
  };
}

export function tierStatus(tier: CompressedTier, framerate: number): CompressedTierStatus {
  return {
    quality: tier.quality,
    payloadBytes: tier.payloadBytes,
    bytesHeld: tier.bytesHeld,
    filled: tier.size,
    oldestId: tier.oldestRawId,
    newestId: tier.newestRawId,
    spanS: tier.spanS,
    capacityS: tier.framesAtCurrentSize / framerate,
    encoded: tier.encoded,
    skipped: tier.skipped,
    meanEncodeMs: tier.encoded === 0 ? 0 : Math.round((tier.encodeMs / tier.encoded) * 100) / 100,
  };
}
