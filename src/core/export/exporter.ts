import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Clock } from '../clock.js';
import type { FrameGeometry, FrameMeta } from '../frame.js';
import { PicamError } from '../errors.js';
import { decodeFrame, type PixelImage } from '../pixels/decode.js';
import type { CompressedTier } from '../ring/compressed-tier.js';
import type { RingBuffer, RingFrame } from '../ring/ring-buffer.js';
import { syncFolder, writeFileAtomic } from '../fs/atomic-write.js';
import { eventDateFolder, newEventId } from './event-id.js';
import { encodeImage, type FrameFormat } from './frame-encoder.js';
import { MANIFEST_FILE, type EventState, type Manifest, type ManifestFrame, type MissingFrames } from './manifest.js';
import { Mp4Writer } from './mp4-writer.js';
import { FramePool } from './frame-pool.js';
import { FrameStacker } from './stacker.js';

export type ExportFormat = FrameFormat | 'mp4';

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
}

/** The abort reason of an event cancelled by DeleteEvent (shutdown aborts with another). */
const CANCELLED = new Error('cancelled: deleted while it was being written');

/** How long past the window's end an export waits for a frame before giving up on the source. */
const SOURCE_STALL_MS = 3000;
/**
 * Frames of one event encoded at once. One encode at a time reaches only
 * about half of sharp's rate on two cores; more than two starves capture.
 */
const IN_FLIGHT = 2;

/**
 * Turns triggers into event folders. Each event reads its window straight
 * from the ring, copying each frame out before encoding it, so saving never
 * stalls capture and a long export never sees a frame overwritten; frames
 * the ring overwrites before the export reaches them are listed as missing.
 * Overlapping triggers make separate events that may share frames. Shutdown
 * lets events finish for a grace period, then cuts them (`partial`).
 */
export class Exporter {
  private readonly pending = new Map<string, { abort: AbortController; done: Promise<Manifest>; trigger: PendingTrigger }>();
  private closed = false;
  private total = 0;
  /** Shared by all events: concurrent events take turns rather than each holding its own buffers. */
  private readonly pool: FramePool;

  constructor(private readonly deps: ExporterDeps) {
    // IN_FLIGHT frames encoding, plus two a clip or stack may still be reading.
    this.pool = new FramePool(deps.ring.slotBytes, IN_FLIGHT + 2);
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  get totalCount(): number {
    return this.total;
  }

  isPending(eventId: string): boolean {
    return this.pending.has(eventId);
  }

  /** Who triggered an event still being written (its manifest does not exist yet). */
  pendingTrigger(eventId: string): PendingTrigger | undefined {
    return this.pending.get(eventId)?.trigger;
  }

  async trigger(options: TriggerOptions): Promise<AcceptedEvent> {
    if (this.closed) throw new PicamError('UNAVAILABLE', 'shutting down: no new events');
    const settings = this.deps.settings();
    if (this.pending.size >= settings.maxPending) {
      throw new PicamError('BUSY', `${this.pending.size} events are being written (export.max_pending_events); try again shortly`);
    }
    const triggerMs = this.deps.clock.wallMs();
    const triggerMono = this.deps.clock.monotonicMs();
    const eventId = newEventId(triggerMs);
    const dir = path.join(settings.baseDir, eventDateFolder(eventId), eventId);
    try {
      await mkdir(dir, { recursive: true });
    } catch (error) {
      throw PicamError.from(error);
    }
    const beforeS = options.beforeS ?? settings.beforeS;
    const afterS = options.afterS ?? settings.afterS;
    const { ring } = this.deps;
    const startMono = triggerMono - beforeS * 1000;
    const ringFirst = ring.firstAtOrAfter(startMono, 'monotonic');
    const tierFirst = this.deps.tier?.firstAtOrAfter(startMono);
    const firstId = tierFirst !== undefined && tierFirst < ringFirst ? tierFirst : ringFirst;
    const framesBefore = Math.max(0, ring.firstAtOrAfter(triggerMono, 'monotonic') - firstId);
    const abort = new AbortController();
    const job: ExportJob = {
      eventId,
      dir,
      options,
      triggerMs,
      startMono,
      endMono: triggerMono + afterS * 1000,
      beforeS,
      afterS,
      firstId,
      formats: options.formats ?? settings.formats,
      stack: options.stack ?? settings.stack,
      settings,
      signal: abort.signal,
    };
    this.total++;
    const done = this.run(job).finally(() => this.pending.delete(eventId));
    this.pending.set(eventId, { abort, done, trigger: { source: options.source, reason: options.reason } });
    this.deps.progress({ eventId, state: 'pending', dir, framesWritten: 0, trigger: { source: options.source, reason: options.reason, timeMs: triggerMs } });
    return { eventId, dir, triggerMs, framesBefore, done };
  }

  /**
   * Stops an event being written: no further frame is started, the ones in
   * flight finish, no manifest is written, and its progress ends as
   * `cancelled`; resolves once nothing writes into its folder any more (the
   * caller removes it). False when the event is not being written.
   */
  async cancel(eventId: string): Promise<boolean> {
    const entry = this.pending.get(eventId);
    if (!entry) return false;
    entry.abort.abort(CANCELLED);
    await entry.done;
    return true;
  }

  /** Refuses new triggers, waits up to `graceMs` for pending events, then cuts the rest. */
  async close(graceMs: number): Promise<void> {
    this.closed = true;
    const all = Promise.allSettled([...this.pending.values()].map((p) => p.done));
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), graceMs);
    });
    const outcome = await Promise.race([all, grace]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      for (const { abort } of this.pending.values()) abort.abort(new Error('cut by shutdown'));
      await all;
    }
  }

  private async run(job: ExportJob): Promise<Manifest> {
    const { ring, geometry } = this.deps;
    const frames: ManifestFrame[] = [];
    const missing: MissingFrames[] = [];
    const stacks: Manifest['stacks'] = [];
    const frameFormats = job.formats.filter((f): f is FrameFormat => f !== 'mp4');
    const stacker = job.stack ? new FrameStacker(job.settings.stackCount) : undefined;
    const clip = job.formats.includes('mp4') ? new Mp4Writer(path.join(job.dir, 'clip.mp4'), measuredRate(ring, job) ?? job.settings.framerate) : undefined;
    const encode = { jpegQuality: job.settings.jpegQuality, pngCompression: job.settings.pngCompression };
    let bytes = 0;
    let error: PicamError | undefined;
    let nextId = job.firstId;
    const inFlight: Array<Promise<void>> = [];
    // Stacks and the clip need frames in capture order: they run on one chain.
    let ordered: Promise<void> = Promise.resolve();

    const { tier } = this.deps;
    const oldestHeld = tier && tier.size > 0 && tier.oldestRawId < ring.oldestId ? tier.oldestRawId : ring.oldestId;
    const oldestMono = oldestHeld === ring.oldestId ? ring.monotonicOf(oldestHeld) : tier?.monotonicOf(oldestHeld);
    if (oldestHeld > 1 && oldestMono !== undefined && oldestMono > job.startMono) {
      // Frames existed before the oldest one held, but the ring had already dropped them.
      const lostS = ((oldestMono - job.startMono) / 1000).toFixed(2);
      missing.push({
        first_id: oldestHeld - 1,
        last_id: oldestHeld - 1,
        reason: `window starts ${lostS} s before the oldest frame in the ring (ring too small for the before window)`,
      });
    }
    // The export's reading point in the compressed tier is pinned: the tier skips encodes rather than evict what it has yet to save.
    let unpin = tier?.pin(nextId);

    /** `native` is a view of `pooled`, which goes back to the pool once every reader of it is done. */
    const processFrame = async (meta: FrameMeta, native: Buffer, pooled: Buffer, fromTier: boolean): Promise<void> => {
      let pixels: Promise<PixelImage> | undefined;
      const format = fromTier ? 'mjpeg' : geometry.format;
      const decoded = (): Promise<PixelImage> => (pixels ??= decodeFrame(native, { ...geometry, format }));
      const stem = frameStem(meta.id, meta.timestampMs);
      const files: string[] = [];
      const record: ManifestFrame = {
        id: meta.id,
        timestamp: new Date(meta.timestampMs).toISOString(),
        timestamp_ms: meta.timestampMs,
        monotonic_ms: round(meta.monotonicMs),
        dark_score: round(meta.darkScore),
        night: meta.night,
        exposure_us: meta.exposureUs,
        gain: meta.gain,
        tier: fromTier && tier ? tier.label : 'raw',
        files,
      };
      const needsOrder = clip !== undefined || (stacker !== undefined && (meta.night || meta.darkScore < job.settings.darkThreshold));
      let orderedDone: Promise<void> = Promise.resolve();
      if (needsOrder) {
        orderedDone = ordered = ordered.then(async () => {
          const image = await decoded();
          if (clip) await clip.write(image);
          if (stacker && (meta.night || meta.darkScore < job.settings.darkThreshold)) {
            const stacked = await stacker.add(meta.id, image);
            if (stacked) bytes += await this.writeStack(job, stacked.image, stacked.ids, stacks, frameFormats, encode);
          }
        });
        ordered.catch(() => undefined); // awaited (and reported) at the end
      }
      const formatsDone = Promise.all(
        frameFormats.map(async (fileFormat) => {
          const name = `${stem}.${fileFormat}`;
          // A camera JPEG is saved as the camera made it: no second lossy encode.
          // A compressed-tier frame likewise: it is a JPEG already, and the manifest says at which quality.
          const chunks = fileFormat === 'jpg' && (geometry.format === 'mjpeg' || fromTier) ? [native] : await encodeImage(await decoded(), fileFormat, encode);
          bytes += await writeFileAtomic(path.join(job.dir, name), chunks);
          files.push(name);
        }),
      );
      // Encoders, file writes, the clip's pipe and the stacker all read the pool buffer.
      void Promise.allSettled([formatsDone, orderedDone]).then(() => this.pool.release(pooled));
      await formatsDone;
      files.sort();
      frames.push(record);
    };

    try {
      while (!job.signal.aborted) {
        if (nextId > ring.newestId) {
          const arrived = await waitForFrame(ring, job.signal, job.endMono + SOURCE_STALL_MS);
          if (arrived) continue;
          if (!job.signal.aborted) missing.push({ first_id: nextId, last_id: nextId, reason: 'no frames from the source' });
          break;
        }
        let fromTier = false;
        if (nextId < ring.oldestId) {
          const held = tier?.heldAtOrAfter(nextId);
          const next = held === undefined || held > ring.oldestId ? ring.oldestId : held;
          if (next > nextId) {
            const reason = !tier
              ? 'overwritten in the ring before it was saved'
              : nextId < tier.oldestRawId || tier.size === 0
                ? 'overwritten in the compressed tier before it was saved'
                : 'skipped by the compressed tier (its encoder fell behind, or an export held its space)';
            missing.push({ first_id: nextId, last_id: next - 1, reason });
            nextId = next;
            if (unpin && tier) unpin = tier.movePin(unpin, nextId);
            continue;
          }
          fromTier = next < ring.oldestId;
        }
        const peek = fromTier ? tier?.monotonicOf(nextId) : ring.monotonicOf(nextId);
        if (peek === undefined) continue;
        if (peek > job.endMono) break;
        const pooled = await this.pool.acquire();
        // Capture went on while we waited for a buffer: the frame may have left the ring (the loop then records it missing).
        const frame: RingFrame | undefined = fromTier ? tier?.get(nextId) : ring.get(nextId);
        if (!frame || job.signal.aborted) {
          this.pool.release(pooled);
          continue;
        }
        // Copied out now, in one synchronous step: the slot may be reused while we encode.
        frame.data.copy(pooled);
        if (unpin && tier) unpin = tier.movePin(unpin, nextId + 1);
        const task = processFrame(frame.meta, pooled.subarray(0, frame.data.length), pooled, fromTier);
        task.catch(() => undefined); // handled below, when awaited in order
        inFlight.push(task);
        if (inFlight.length >= IN_FLIGHT) await inFlight.shift();
        nextId++;
      }
      unpin?.();
      await Promise.all(inFlight);
      await ordered;
    } catch (caught) {
      unpin?.();
      error = PicamError.from(caught);
      await Promise.allSettled([...inFlight, ordered]);
    }
    if (clip) {
      try {
        if (error || job.signal.aborted || frames.length === 0) await clip.abort();
        else {
          await clip.close();
          bytes += (await stat(path.join(job.dir, 'clip.mp4'))).size;
        }
      } catch (caught) {
        error = error ?? PicamError.from(caught);
      }
    }
    const cancelled = job.signal.aborted && job.signal.reason === CANCELLED;
    if (job.signal.aborted) {
      const last = ring.firstAtOrAfter(job.endMono, 'monotonic') - 1;
      missing.push({ first_id: nextId, last_id: Math.max(nextId, last), reason: cancelled ? 'cancelled' : 'cut by shutdown' });
    }
    frames.sort((a, b) => a.id - b.id);
    // Partial means frames of the window are missing: a window holding no frame at all (before=0 after=0) is complete with 0 frames.
    const state: EventState = cancelled ? 'cancelled' : error ? (frames.length === 0 ? 'failed' : 'partial') : missing.length > 0 ? 'partial' : 'complete';
    const manifest: Manifest = {
      version: 1,
      event_id: job.eventId,
      state,
      trigger: {
        source: job.options.source,
        reason: job.options.reason,
        label: job.options.label,
        time: new Date(job.triggerMs).toISOString(),
        time_ms: job.triggerMs,
        monotonic_ms: round(job.startMono + job.beforeS * 1000),
      },
      window: {
        before_s: job.beforeS,
        after_s: job.afterS,
        start: new Date(job.triggerMs - job.beforeS * 1000).toISOString(),
        end: new Date(job.triggerMs + job.afterS * 1000).toISOString(),
        start_monotonic_ms: round(job.startMono),
        end_monotonic_ms: round(job.endMono),
      },
      formats: job.formats,
      capture: { format: geometry.format, width: geometry.width, height: geometry.height, color_range: geometry.colorRange ?? 'limited' },
      frames,
      missing,
      stacks,
      ...(clip && !error && !job.signal.aborted && frames.length > 0 ? { clip: 'clip.mp4' } : {}),
      ...(error ? { error: error.message, error_code: error.code } : cancelled ? { error: CANCELLED.message, error_code: 'NOT_FOUND' as const } : {}),
      finished: new Date().toISOString(),
      bytes,
    };
    if (cancelled) {
      // Its folder is about to be removed: no manifest, so nothing on disk claims the event is whole.
      this.report(job, manifest, frames.length);
      return manifest;
    }
    try {
      // Every listed file is already synced (writeFileAtomic); this makes their names durable
      // before the manifest names them, so a manifest on disk never lists a file a power loss took back.
      await syncFolder(job.dir);
      await writeFileAtomic(path.join(job.dir, MANIFEST_FILE), [Buffer.from(JSON.stringify(manifest, null, 2) + '\n')]);
      await syncFolder(job.dir);
    } catch (caught) {
      const failure = PicamError.from(caught);
      this.deps.warn('event manifest not written', { event_id: job.eventId, error: failure.message });
      manifest.state = 'failed';
      manifest.error = manifest.error ?? failure.message;
      manifest.error_code = manifest.error_code ?? failure.code;
    }
    this.report(job, manifest, frames.length);
    return manifest;
  }

  private report(job: ExportJob, manifest: Manifest, framesWritten: number): void {
    this.deps.progress({
      eventId: job.eventId,
      state: manifest.state,
      dir: job.dir,
      framesWritten,
      error: manifest.error,
      trigger: { source: job.options.source, reason: job.options.reason, timeMs: job.triggerMs },
      manifest,
    });
  }

  /** Writes one stacked image in each per-frame format; returns the bytes written. */
  private async writeStack(
    job: ExportJob,
    image: PixelImage,
    ids: number[],
    stacks: Manifest['stacks'],
    formats: FrameFormat[],
    encode: { jpegQuality: number; pngCompression: number },
  ): Promise<number> {
    let bytes = 0;
    const files: string[] = [];
    for (const format of formats) {
      const name = `stack_${String(ids[0]).padStart(10, '0')}-${String(ids.at(-1)).padStart(10, '0')}.${format}`;
      bytes += await writeFileAtomic(path.join(job.dir, name), await encodeImage(image, format, encode));
      files.push(name);
    }
    stacks.push({ files, frame_ids: ids });
    return bytes;
  }
}

interface ExportJob {
  eventId: string;
  dir: string;
  options: TriggerOptions;
  triggerMs: number;
  startMono: number;
  endMono: number;
  beforeS: number;
  afterS: number;
  firstId: number;
  formats: ExportFormat[];
  stack: boolean;
  settings: ExportSettings;
  signal: AbortSignal;
}

/** The frame rate of the frames in the before-window, for the clip's timing. */
function measuredRate(ring: RingBuffer, job: ExportJob): number | undefined {
  const last = ring.newestId;
  const first = Math.max(job.firstId, ring.oldestId);
  const a = ring.monotonicOf(first);
  const b = ring.monotonicOf(last);
  if (a === undefined || b === undefined || last - first < 2 || b <= a) return undefined;
  return ((last - first) * 1000) / (b - a);
}

/** File stem that sorts in capture order: zero-padded frame id, then the capture time. */
function frameStem(id: number, timestampMs: number): string {
  const time = new Date(timestampMs).toISOString().replace(/[-:]/g, '').replace('.', '');
  return `${String(id).padStart(10, '0')}_${time}`;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

/** True when a new frame arrived; false on abort or when `deadlineMono` passes first. */
async function waitForFrame(ring: RingBuffer, signal: AbortSignal, deadlineMono: number): Promise<boolean> {
  const remaining = deadlineMono - performance.now();
  if (remaining <= 0 || signal.aborted) return false;
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stop = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), remaining);
    onAbort = () => resolve(false);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([ring.nextFrame().then(() => true), stop]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}
