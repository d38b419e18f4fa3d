import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { PicamError } from '../errors.js';
import { decodeFrame, type PixelImage } from '../pixels/decode.js';
import { frameJpegEncoder, type FrameJpegEncoder } from '../pixels/i420-jpeg.js';
import type { RingBuffer } from '../ring/ring-buffer.js';
import { syncFolder, writeFileAtomic } from '../fs/atomic-write.js';
import { ClipSink } from './clip-sink.js';
import { eventDateFolder, newEventId } from './event-id.js';
import { ExportBuffer, mb, windowNeed, type BufferReservation } from './export-buffer.js';
import type { ExportFormat, FrameFormat } from './export-format.js';
import { FilesSink } from './files-sink.js';
import { FramePool } from './frame-pool.js';
import { buildManifest, CANCELLED_MESSAGE, frameRecord } from './manifest-builder.js';
import { MANIFEST_FILE, type Manifest, type ManifestFrame, type MissingFrames } from './manifest.js';
import type { AcceptedEvent, ExportSettings, ExporterDeps, PendingTrigger, TriggerOptions } from './export-types.js';
import type { FrameSink, SinkFrame } from './sink.js';
import { StackSink } from './stack-sink.js';
import { WindowReader, type WindowFrame } from './window-reader.js';

export type { ExportFormat } from './export-format.js';
export type { AcceptedEvent, EventProgress, ExportSettings, ExporterDeps, PendingTrigger, TriggerOptions } from './export-types.js';

/** The abort reason of an event cancelled by DeleteEvent (shutdown aborts with another). */
const CANCELLED = new Error(CANCELLED_MESSAGE);

/** How long past the window's end an export waits for a frame before giving up on the source. */
const SOURCE_STALL_MS = 3000;
/**
 * Frames of one event encoded at once when a frame has several formats, or a
 * stack or clip reads them in order. One encode at a time reaches only about
 * half of sharp's rate on two cores; with jpg+png+npy two frames already keep
 * both busy (four: no gain, 1080p, two rounds of three SNAPs, and a later
 * first file).
 */
const IN_FLIGHT = 2;
/**
 * Frames in flight when each is one sharp encode and nothing else (png, or
 * jpg without the native encoder): between two encodes a frame waits on its
 * I420 conversion and its file's sync, and with two in flight the cores idle
 * meanwhile (png export at ~2/3 of sharp's own rate, service CPU ~140 %).
 * 1080p, two rounds of four SNAPs each: png 10.3/14.2 frames/s at two, 12.3/17.5
 * at three, 14.7/18.4 at four; jpg through sharp 58/62 -> 79/77 at four.
 * Capture held 29.3-30.1 frames/s, nothing dropped, in every run of either.
 */
const IN_FLIGHT_ONE_ENCODE = 4;
/**
 * Frames that sharp does not encode: npy (it encodes nothing: its frames wait
 * on the pixel worker and the disk, not on the cores; 1080p ~125 -> ~160
 * frames/s at the same CPU per frame going from two to four, capture
 * unchanged; four -> six no change, the disk decides) and jpg of I420 from
 * its planes (one libuv thread an encode, no pixels: the file writes between
 * encodes overlap them; 1080p two -> four 152 -> 160 frames/s, four -> six
 * +8 to +15 % in each of four interleaved pairs of 9-SNAP runs, six -> eight
 * no change). Each frame in flight holds one pooled ring-slot copy.
 */
const IN_FLIGHT_NO_SHARP = 6;
/** The default budget, in rings: a window up to twice the ring's span (the default 4 s on the default 3 s ring). */
const DEFAULT_BUFFER_RINGS = 2;

/**
 * Turns triggers into event folders. A trigger reserves its window's worst
 * case in the export.max_buffer_bytes budget or is refused with the sums;
 * then a WindowReader hands the window's frames, copied out of the ring
 * (ahead of the ring overwriting them when the export falls behind), to the
 * sinks (frame files, stack, clip), and buildManifest turns what they report
 * into event.json. Saving never stalls capture. Overlapping triggers make
 * separate events that may share frames. Shutdown lets events finish for a
 * grace period, then cuts them (`partial`).
 */
export class Exporter {
  private readonly pending = new Map<string, { abort: AbortController; done: Promise<Manifest>; trigger: PendingTrigger }>();
  private closed = false;
  private total = 0;
  /** Shared by all events: concurrent events take turns rather than each holding its own buffers. */
  private readonly pool: FramePool;
  /** export.max_buffer_bytes: what events may hold outside the ring, reserved at trigger time. */
  private readonly buffer = new ExportBuffer();
  /**
   * RGB of I420 frames, decoded into reused shared buffers: a fresh 6.2 MB
   * buffer per 1080p frame cost ~2 ms of page faults, and the external
   * memory it added set off a major GC every few frames (perf: GC took more
   * of an export's samples than the encoder's colour conversion).
   */
  private readonly rgbPool: FramePool | undefined;
  /** JPEG from the raw frames' I420 planes (native encoder), undefined for other sources or without it. */
  private readonly jpegFromPlanes: FrameJpegEncoder | undefined;

  constructor(private readonly deps: ExporterDeps) {
    // The most frames in flight (IN_FLIGHT_NO_SHARP), plus two a clip or stack may still be reading; buffers are made on first use.
    this.pool = new FramePool(deps.ring.slotBytes, IN_FLIGHT_NO_SHARP + 2);
    const { width, height, format } = deps.geometry;
    this.rgbPool = format === 'yuv420' ? new FramePool(width * height * 3, IN_FLIGHT_NO_SHARP + 2) : undefined;
    this.jpegFromPlanes = frameJpegEncoder(deps.geometry);
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
    const beforeS = options.beforeS ?? settings.beforeS;
    const afterS = options.afterS ?? settings.afterS;
    const { ring } = this.deps;
    const startMono = triggerMono - beforeS * 1000;
    const ringFirst = ring.firstAtOrAfter(startMono, 'monotonic');
    const tierFirst = this.deps.tier?.firstAtOrAfter(startMono);
    const firstId = tierFirst !== undefined && tierFirst < ringFirst ? tierFirst : ringFirst;
    const framesBefore = Math.max(0, ring.firstAtOrAfter(triggerMono, 'monotonic') - firstId);
    // Admission: the window's worst case must fit the buffer budget now, or the trigger is refused with the sums.
    const reservation = this.reserve(ringFirst, beforeS, afterS, settings.framerate);
    const eventId = newEventId(triggerMs);
    const dir = path.join(settings.baseDir, eventDateFolder(eventId), eventId);
    const abort = new AbortController();
    const endMono = triggerMono + afterS * 1000;
    // Reading (and rescuing frames about to be evicted) starts now, before anything is awaited: a small ring
    // laps within one mkdir on a loaded machine, and the window's first frames would be gone.
    const reader = new WindowReader(ring, this.deps.tier, { firstId, startMono, endMono, stallMs: SOURCE_STALL_MS, monotonicNow: () => this.deps.clock.monotonicMs() }, this.pool, reservation, abort.signal);
    try {
      await mkdir(dir, { recursive: true });
    } catch (error) {
      reader.close();
      reservation.release();
      throw PicamError.from(error);
    }
    const job: ExportJob = {
      eventId,
      dir,
      options,
      triggerMs,
      startMono,
      endMono,
      beforeS,
      afterS,
      firstId,
      formats: options.formats ?? settings.formats,
      stack: options.stack ?? settings.stack,
      settings,
      signal: abort.signal,
      reservation,
      reader,
    };
    this.total++;
    const done = this.run(job).finally(() => this.pending.delete(eventId));
    this.pending.set(eventId, { abort, done, trigger: { source: options.source, reason: options.reason } });
    this.deps.progress({ eventId, state: 'pending', dir, framesWritten: 0, trigger: { source: options.source, reason: options.reason, timeMs: triggerMs } });
    return { eventId, dir, triggerMs, framesBefore, done };
  }

  /** Bytes the exports may hold outside the ring: export.max_buffer_bytes, else twice the raw ring. */
  get bufferLimit(): { bytes: number; basis: string } {
    const configured = this.deps.maxBufferBytes?.();
    if (configured !== undefined) return { bytes: configured, basis: 'as configured' };
    const ring = this.deps.ring.payloadBytes;
    return { bytes: DEFAULT_BUFFER_RINGS * ring, basis: `by default ${DEFAULT_BUFFER_RINGS} x the ring's ${mb(ring)}` };
  }

  /** Bytes reserved by the events being written. */
  get bufferReserved(): number {
    return this.buffer.reserved;
  }

  /** Reserves the worst case of a window whose raw-ring part starts at `ringFirst` (see windowNeed). */
  private reserve(ringFirst: number, beforeS: number, afterS: number, nominalFps: number): BufferReservation {
    const { ring } = this.deps;
    let heldFrames = 0;
    let heldBytes = 0;
    for (let id = ringFirst; id <= ring.newestId; id++) {
      heldFrames++;
      heldBytes += ring.packed ? (ring.get(id)?.data.length ?? 0) : ring.slotBytes;
    }
    // Frames still to come: a fixed slot each, or for packed JPEGs twice the mean held now (a brighter scene makes larger ones).
    const frameBytes = ring.packed && ring.size > 0 ? Math.min(ring.slotBytes, Math.ceil((2 * ring.bytesHeld) / ring.size)) : ring.slotBytes;
    // The rate the camera is asked for: the sums in a refusal are then the ones the operator can check.
    const need = windowNeed({ beforeS, afterS, framerate: nominalFps, heldFrames, heldBytes, frameBytes });
    const limit = this.bufferLimit;
    return this.buffer.reserve(need, limit.bytes, limit.basis, { beforeS, afterS });
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

  /** Reads the window into the sinks, then writes the manifest built from what they report. */
  private async run(job: ExportJob): Promise<Manifest> {
    const { ring, geometry } = this.deps;
    const frames: ManifestFrame[] = [];
    const missing: MissingFrames[] = [];
    const frameFormats = job.formats.filter((f): f is FrameFormat => f !== 'mp4');
    const encode = { jpegQuality: job.settings.jpegQuality, pngCompression: job.settings.pngCompression };
    const files = new FilesSink(job.dir, frameFormats, encode, (frame, names) => frames.push(frameRecord(frame.meta, frame.tier, names)));
    const stack = job.stack ? new StackSink(job.dir, job.settings.stackCount, job.settings.darkThreshold, frameFormats, encode) : undefined;
    const clip = job.formats.includes('mp4') ? new ClipSink(job.dir, measuredRate(ring, job) ?? job.settings.framerate) : undefined;
    const sinks: FrameSink[] = [files, ...(clip ? [clip] : []), ...(stack ? [stack] : [])];
    const { reader } = job;
    let error: PicamError | undefined;
    const inFlight: Array<Promise<void>> = [];
    const fullLimit = framesInFlight(frameFormats, this.jpegFromPlanes !== undefined, stack !== undefined || clip !== undefined);
    // Two frames until the first is written: more encodes than cores at the start share the cores, so the first
    // file, the one a folder watcher waits for, ends later (1080p png: ~96 ms with two at once, ~156 with four).
    let inFlightLimit = Math.min(IN_FLIGHT, fullLimit);
    // Ordered sinks (clip, stack) take frames one at a time in capture order, on one chain.
    let ordered: Promise<void> = Promise.resolve();
    try {
      for await (const item of reader.items()) {
        if (item.kind === 'missing') {
          missing.push(item.range);
          continue;
        }
        const { frame, releasePixels } = this.sinkFrame(item);
        const concurrent = Promise.all(sinks.filter((s) => !s.ordered).map((s) => s.write(frame)));
        const inOrder = (ordered = ordered.then(async () => {
          for (const sink of sinks) if (sink.ordered) await sink.write(frame);
        }));
        ordered.catch(() => undefined); // awaited (and reported) at the end
        const task = concurrent.then(() => undefined);
        task.catch(() => undefined); // handled below, when awaited in order
        // Every sink reads the copied-out buffer: it goes back once all are done with it.
        void Promise.allSettled([concurrent, inOrder]).then(() => {
          item.release();
          releasePixels();
        });
        inFlight.push(task);
        if (inFlight.length >= inFlightLimit) {
          await inFlight.shift();
          inFlightLimit = fullLimit;
        }
      }
      await Promise.all(inFlight);
      await ordered;
      await files.finish();
    } catch (caught) {
      error = PicamError.from(caught);
      await Promise.allSettled([...inFlight, ordered]);
      // Nothing may still write into the folder once run() returns (cancel removes it).
      await files.finish().catch(() => undefined);
    }
    let clipFile: string | undefined;
    if (clip) {
      try {
        clipFile = await clip.finish(!error && !job.signal.aborted && frames.length > 0);
      } catch (caught) {
        error = error ?? PicamError.from(caught);
      }
    }
    const cancelled = job.signal.aborted && job.signal.reason === CANCELLED;
    if (job.signal.aborted) missing.push(reader.remaining(cancelled ? 'cancelled' : 'cut by shutdown'));
    if (reader.rescuedCount > 0) {
      this.deps.warn('export fell behind the ring: frames copied out before they were overwritten', {
        event_id: job.eventId,
        frames_copied: reader.rescuedCount,
        peak_bytes: job.reservation.peak,
        reserved_bytes: job.reservation.bytes,
      });
    }
    job.reservation.release();
    const manifest = buildManifest({
      eventId: job.eventId,
      trigger: { source: job.options.source, reason: job.options.reason, label: job.options.label, timeMs: job.triggerMs, monotonicMs: job.startMono + job.beforeS * 1000 },
      window: { beforeS: job.beforeS, afterS: job.afterS, startMonotonicMs: job.startMono, endMonotonicMs: job.endMono },
      formats: job.formats,
      geometry,
      frames,
      missing,
      stacks: stack?.stacks ?? [],
      clip: clipFile,
      error: error ? { message: error.message, code: error.code } : undefined,
      cancelled,
      finishedMs: this.deps.clock.wallMs(),
      bytes: sinks.reduce((sum, s) => sum + s.bytes, 0),
    });
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

  /**
   * The frame as sinks see it: pixels decoded once, on first use, and shared;
   * I420's JPEG from its planes (no pixels) where the native encoder is built;
   * I420 pixels into a pooled RGB buffer (a fresh one when all are taken) that
   * `releasePixels` gives back once every sink is done with the frame.
   */
  private sinkFrame(item: WindowFrame): { frame: SinkFrame; releasePixels: () => void } {
    const { geometry, tier } = this.deps;
    const format = item.fromTier ? 'mjpeg' : geometry.format;
    // A tier frame is a JPEG already: only raw frames go through the planes encoder.
    const jpegFromPlanes = item.fromTier ? undefined : this.jpegFromPlanes;
    let pixels: Promise<PixelImage> | undefined;
    let rgb: Buffer | undefined;
    const frame: SinkFrame = {
      meta: item.meta,
      native: item.data,
      format,
      tier: item.fromTier && tier ? tier.label : 'raw',
      pixels: () => {
        if (pixels === undefined) {
          rgb = format === 'yuv420' ? this.rgbPool?.tryAcquire() : undefined;
          pixels = decodeFrame(item.data, { ...geometry, format }, rgb);
        }
        return pixels;
      },
      ...(jpegFromPlanes && { jpeg: (quality: number) => jpegFromPlanes(item.data, quality) }),
    };
    const releasePixels = (): void => {
      const taken = rgb;
      rgb = undefined;
      // A decode no sink waited for (one failed first) may still be writing into the buffer.
      if (taken) void Promise.allSettled([pixels]).then(() => this.rgbPool?.release(taken));
    };
    return { frame, releasePixels };
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
  reservation: BufferReservation;
  /** Started at trigger time, so the window's frames are guarded from the first instant. */
  reader: WindowReader;
}

/**
 * Frames an event keeps in flight once its first frame is written: two for ordered sinks (stack, clip) and for
 * several formats a frame, six when no format needs sharp (npy, jpg from the planes), four for one sharp encode.
 */
function framesInFlight(formats: readonly FrameFormat[], jpegFromPlanes: boolean, ordered: boolean): number {
  if (ordered) return IN_FLIGHT;
  if (formats.length > 0 && formats.every((f) => f === 'npy' || (f === 'jpg' && jpegFromPlanes))) return IN_FLIGHT_NO_SHARP;
  return formats.length === 1 ? IN_FLIGHT_ONE_ENCODE : IN_FLIGHT;
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

