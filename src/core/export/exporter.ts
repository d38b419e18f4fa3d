import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { FrameGeometry } from '../capture/frame.js';
import { PicamError } from '../errors.js';
import type { RingBuffer } from '../ring/ring-buffer.js';
import { writeFileAtomic, syncFolder } from './atomic-write.js';
import { eventDateFolder, newEventId } from './event-id.js';
import { decodeFrame, type PixelImage } from '../pixels/decode.js';
import { encodeImage, type ExportFormat } from './frame-encoder.js';
import { MANIFEST_FILE, type EventState, type Manifest, type ManifestFrame, type MissingFrames } from './manifest.js';
import { FrameStacker } from './stacker.js';

export interface ExportSettings {
  baseDir: string;
  formats: ExportFormat[];
  beforeS: number;
  afterS: number;
  jpegQuality: number;
  stack: boolean;
  stackCount: number;
  darkThreshold: number;
}

export interface TriggerOptions {
  /** Which adapter triggered: "grpc", "line", ... */
  source: string;
  reason: string;
  beforeS?: number | undefined;
  afterS?: number | undefined;
  formats?: ExportFormat[] | undefined;
}

export interface EventProgress {
  eventId: string;
  state: EventState;
  dir: string;
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
  geometry: FrameGeometry;
  settings: () => ExportSettings;
  progress: (progress: EventProgress) => void;
  warn: (message: string, details: Record<string, unknown>) => void;
}

/** How long past the window's end an export waits for a frame before giving up on the source. */
const SOURCE_STALL_MS = 3000;

/**
 * Turns triggers into event folders. Each event reads its window straight
 * from the ring (copying one frame at a time), so saving never stalls
 * capture; overlapping events run side by side. Shutdown lets them finish for
 * a grace period, then cuts them: a cut event gets a `partial` manifest.
 */
export class Exporter {
  private readonly pending = new Map<string, { abort: AbortController; done: Promise<Manifest> }>();
  private closed = false;
  private total = 0;

  constructor(private readonly deps: ExporterDeps) {}

  get pendingCount(): number {
    return this.pending.size;
  }

  get totalCount(): number {
    return this.total;
  }

  isPending(eventId: string): boolean {
    return this.pending.has(eventId);
  }

  async trigger(options: TriggerOptions): Promise<AcceptedEvent> {
    if (this.closed) throw new PicamError('UNAVAILABLE', 'shutting down: no new events');
    const settings = this.deps.settings();
    const triggerMs = Date.now();
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
    const startMs = triggerMs - beforeS * 1000;
    const firstId = ring.firstAtOrAfter(startMs);
    const framesBefore = Math.max(0, ring.firstAtOrAfter(triggerMs) - firstId);
    const abort = new AbortController();
    const job: ExportJob = {
      eventId,
      dir,
      source: options.source,
      reason: options.reason,
      triggerMs,
      startMs,
      endMs: triggerMs + afterS * 1000,
      beforeS,
      afterS,
      firstId,
      formats: options.formats ?? settings.formats,
      settings,
      signal: abort.signal,
    };
    this.total++;
    const done = this.run(job).finally(() => this.pending.delete(eventId));
    this.pending.set(eventId, { abort, done });
    this.deps.progress({ eventId, state: 'pending', dir, framesWritten: 0 });
    return { eventId, dir, triggerMs, framesBefore, done };
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
    const { ring } = this.deps;
    const frames: ManifestFrame[] = [];
    const missing: MissingFrames[] = [];
    const stacks: Manifest['stacks'] = [];
    const stacker = job.settings.stack ? new FrameStacker(job.settings.stackCount) : undefined;
    const scratch = Buffer.allocUnsafe(ring.slotBytes);
    let bytes = 0;
    let error: PicamError | undefined;
    let nextId = job.firstId;
    const oldestMs = ring.timestampOf(ring.oldestId);
    if (ring.size === ring.capacity && oldestMs !== undefined && oldestMs > job.startMs) {
      // Frames existed before the oldest one held, but the ring had already dropped them.
      const lostS = ((oldestMs - job.startMs) / 1000).toFixed(2);
      missing.push({
        first_id: ring.oldestId - 1,
        last_id: ring.oldestId - 1,
        reason: `window starts ${lostS} s before the oldest frame in the ring (ring.frames too small for the before window)`,
      });
    }
    try {
      while (!job.signal.aborted) {
        if (nextId > ring.newestId) {
          const arrived = await waitForFrame(ring, job.signal, job.endMs + SOURCE_STALL_MS);
          if (arrived) continue;
          if (!job.signal.aborted) missing.push({ first_id: nextId, last_id: nextId, reason: 'no frames from the source' });
          break;
        }
        if (nextId < ring.oldestId) {
          missing.push({ first_id: nextId, last_id: ring.oldestId - 1, reason: 'overwritten in the ring before it was saved' });
          nextId = ring.oldestId;
          continue;
        }
        if (ring.timestampOf(nextId)! > job.endMs) break;
        // The slot may be overwritten while we await the encoder: copy first.
        const meta = ring.copyOut(nextId, scratch)!;
        const native = scratch.subarray(0, meta.length);
        // Converted once per frame, shared by every format (and the stack).
        let pixels: Promise<PixelImage> | undefined;
        const decoded = (): Promise<PixelImage> => (pixels ??= decodeFrame(native, this.deps.geometry));
        const files: string[] = [];
        const stem = frameStem(meta.id, meta.timestampMs);
        await Promise.all(
          job.formats.map(async (format) => {
            const name = `${stem}.${format}`;
            // A camera JPEG is saved as the camera made it: no second lossy encode.
            const chunks =
              format === 'jpg' && this.deps.geometry.format === 'mjpeg'
                ? [native]
                : await encodeImage(await decoded(), format, { jpegQuality: job.settings.jpegQuality });
            bytes += await writeFileAtomic(path.join(job.dir, name), chunks);
            files.push(name);
          }),
        );
        files.sort();
        frames.push({
          id: meta.id,
          timestamp: new Date(meta.timestampMs).toISOString(),
          timestamp_ms: meta.timestampMs,
          monotonic_ms: round(meta.monotonicMs),
          dark_score: round(meta.darkScore),
          night: meta.night,
          exposure_us: meta.exposureUs,
          gain: meta.gain,
          files,
        });
        if (stacker && (meta.night || meta.darkScore < job.settings.darkThreshold)) {
          const stacked = stacker.add(meta.id, await decoded());
          if (stacked) {
            const name = `stack-${frameStem(stacked.ids[0]!, meta.timestampMs)}.jpg`;
            const chunks = await encodeImage(stacked.image, 'jpg', { jpegQuality: job.settings.jpegQuality });
            bytes += await writeFileAtomic(path.join(job.dir, name), chunks);
            stacks.push({ file: name, frame_ids: stacked.ids });
          }
        }
        nextId++;
      }
    } catch (caught) {
      error = PicamError.from(caught);
    }
    if (job.signal.aborted) {
      const last = ring.firstAtOrAfter(job.endMs + 1) - 1;
      missing.push({ first_id: nextId, last_id: Math.max(nextId, last), reason: 'cut by shutdown' });
    }
    const state: EventState = error
      ? frames.length === 0
        ? 'failed'
        : 'partial'
      : missing.length > 0 || frames.length === 0
        ? 'partial'
        : 'complete';
    const manifest: Manifest = {
      version: 1,
      event_id: job.eventId,
      state,
      trigger: { source: job.source, reason: job.reason, time: new Date(job.triggerMs).toISOString(), time_ms: job.triggerMs },
      window: {
        before_s: job.beforeS,
        after_s: job.afterS,
        start: new Date(job.startMs).toISOString(),
        end: new Date(job.endMs).toISOString(),
      },
      formats: job.formats,
      frames,
      missing,
      stacks,
      ...(error ? { error: error.message, error_code: error.code } : {}),
      finished: new Date().toISOString(),
      bytes,
    };
    try {
      await writeFileAtomic(path.join(job.dir, MANIFEST_FILE), [Buffer.from(JSON.stringify(manifest, null, 2) + '\n')]);
      await syncFolder(job.dir);
    } catch (caught) {
      const failure = PicamError.from(caught);
      this.deps.warn('event manifest not written', { event_id: job.eventId, error: failure.message });
      manifest.state = 'failed';
      manifest.error = manifest.error ?? failure.message;
      manifest.error_code = manifest.error_code ?? failure.code;
    }
    this.deps.progress({
      eventId: job.eventId,
      state: manifest.state,
      dir: job.dir,
      framesWritten: frames.length,
      error: manifest.error,
    });
    return manifest;
  }
}

interface ExportJob {
  eventId: string;
  dir: string;
  source: string;
  reason: string;
  triggerMs: number;
  startMs: number;
  endMs: number;
  beforeS: number;
  afterS: number;
  firstId: number;
  formats: ExportFormat[];
  settings: ExportSettings;
  signal: AbortSignal;
}

/** File stem that sorts in capture order: zero-padded frame id, then the capture time. */
function frameStem(id: number, timestampMs: number): string {
  const time = new Date(timestampMs).toISOString().replace(/[-:]/g, '').replace('.', '');
  return `${String(id).padStart(10, '0')}_${time}`;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

/** True when a new frame arrived; false on abort or when `deadlineMs` passes first. */
async function waitForFrame(ring: RingBuffer, signal: AbortSignal, deadlineMs: number): Promise<boolean> {
  const remaining = deadlineMs - Date.now();
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
