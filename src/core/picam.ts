import path from 'node:path';
import type { HostRoots } from './capture/capture-devices.js';
import { createSource } from './capture/create-source.js';
import { floorFps } from './capture/exposure-limits.js';
import type { CaptureSettings, FrameSink, FrameSource, SourceKind } from './capture/frame-source.js';
import { frameBytes, type CaptureInfo, type PixelFormat } from './frame.js';
import { applyConfigUpdate, restartOnlyPaths } from './config/config-update.js';
import { persistConfig } from './config/persist-config.js';
import type { Config } from './config/schema.js';
import { PicamError } from './errors.js';
import { checkEventId, seedEventIds } from './export/event-id.js';
import { EventStore } from './export/event-store.js';
import { enforceRetention, repairEvents } from './export/retention.js';
import { Exporter, type AcceptedEvent, type EventProgress } from './export/exporter.js';
import { History, HISTORY_INTERVAL_MS, type HistoryWindow } from './history/history.js';
import type { Logger } from './logger.js';
import { darkScore } from './night/dark-score.js';
import { NightController, type NightSnapshot, type NightTransition } from './night/night-controller.js';
import { jpegDarkScore } from './pixels/decode.js';
import { RingBuffer } from './ring/ring-buffer.js';
import { checkRingFits, JPEG_BYTES_PER_PIXEL, packedRingSize, ringSize } from './ring/ring-size.js';
import { CompressedTier } from './ring/compressed-tier.js';
import { checkWindow, streamRequestSchema, triggerRequestSchema, type StreamRequest, type TriggerRequest } from './requests.js';
import { validate } from './validate.js';
import { streamFrames, type FrameFeed, type StreamedFrame, type StreamOptions } from './stream/frame-stream.js';
import { SharedEncoder } from './stream/shared-encoder.js';
import { checkStreamOutput } from './stream/stream-limits.js';
import { StreamReaders, type StreamReader, type StreamReaderStatus } from './stream/stream-readers.js';

/** Frames after which the measured capture rate is logged. */
const RATE_LOG_FRAMES = 90;
/** How often retention runs besides after each event (for max_age_days). */
const RETENTION_CHECK_MS = 10 * 60_000;

export type CoreEvent =
  | { kind: 'night'; transition: NightTransition; fps: number }
  | { kind: 'event'; progress: EventProgress; timestampMs: number };

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

/** Frames after which the span at real frame sizes is logged (the start-up log can only estimate JPEG sizes). */
const SPAN_LOG_FRAMES = 60;

export interface ConfigureResult {
  config: Config;
  appliedPaths: string[];
  persisted: boolean;
}

export interface PicamOptions {
  config: Config;
  /** Config file to persist to; relative paths in the config resolve against its folder. */
  configFile: string;
  version: string;
  logger: Logger;
  /** /dev and /sys as the capture sources see them (tests give a fake tree). */
  hostRoots?: HostRoots;
  /** rpicam I420 row alignment overriding the board's (0/undefined = by board). */
  rowAlign?: number;
}

/**
 * The one core API: capture into the ring, night mode, export, streaming.
 * Adapters (gRPC, line protocol) call only this and know nothing else.
 */
export class Picam {
  private config: Config;
  private readonly logger: Logger;
  private readonly startMs = Date.now();
  private source!: FrameSource;
  private sourceReason = '';
  private ring!: RingBuffer;
  private tier: CompressedTier | undefined;
  private night!: NightController;
  private exporter!: Exporter;
  private readonly store: EventStore;
  private readonly listeners = new Set<(event: CoreEvent) => void>();
  private readonly frameListeners = new Set<() => void>();
  private encoder!: SharedEncoder;
  private readonly servingListeners = new Set<(serving: boolean) => void>();
  private readonly configListeners = new Set<(config: Config, changedPaths: string[]) => void>();
  private readonly history = new History();
  private historyTimer: NodeJS.Timeout | undefined;
  /** Counters at the previous history sample, to record per-second deltas. */
  private readonly sampled = { framesDropped: 0, streamDropped: 0, events: 0 };
  private eventsTriggered = 0;
  private watchdog: NodeJS.Timeout | undefined;
  private retentionTimer: NodeJS.Timeout | undefined;
  /** Retention runs one at a time. */
  private retention: Promise<void> = Promise.resolve();
  private serving = false;
  private lastFrameMs = 0;
  private framesCaptured = 0;
  private fps = 0;
  private lastError = '';
  private subscribers = 0;
  private readonly readers = new StreamReaders();
  private framesDropped = 0;
  /** Frame rate the source was last asked for. */
  private currentFps = 0;
  /** MJPEG frames are scored by a decode off the event loop, one at a time. */
  private scoring = false;
  private lastScore = 0;

  constructor(private readonly options: PicamOptions) {
    this.config = options.config;
    this.logger = options.logger;
    this.store = new EventStore(
      () => this.baseDir(),
      (id) => this.exporter.pendingTrigger(id),
    );
  }

  async start(): Promise<void> {
    const { source, reason } = await createSource(this.config.camera, {
      baseFolder: path.dirname(this.options.configFile),
      warn: (message) => this.logger.warn(message),
      info: (message) => this.logger.info(message),
      ...(this.options.hostRoots ? { roots: this.options.hostRoots } : {}),
      ...(this.options.rowAlign ? { rowAlign: this.options.rowAlign } : {}),
    });
    this.source = source;
    this.sourceReason = reason;
    this.logger.info({ source: source.kind, format: source.format, reason }, `frame source: ${source.kind}`);
    const slotBytes = frameBytes(source);
    this.ring = await this.allocateRing(slotBytes);
    this.encoder = new SharedEncoder(this.ring, source);
    this.night = new NightController(this.config.night, source.dayExposure);
    this.currentFps = this.config.camera.framerate;
    this.exporter = new Exporter({
      ring: this.ring,
      tier: this.tier,
      geometry: { width: source.width, height: source.height, format: source.format, colorRange: source.colorRange },
      settings: () => ({
        baseDir: this.baseDir(),
        formats: this.config.export.formats,
        beforeS: this.config.export.save_before_s,
        afterS: this.config.export.save_after_s,
        jpegQuality: this.config.export.jpeg_quality,
        pngCompression: this.config.export.png_compression,
        stack: this.config.export.stack_dark_frames,
        stackCount: this.config.export.stack_count,
        darkThreshold: this.config.night.dark_threshold,
        maxPending: this.config.export.max_pending_events,
        framerate: this.config.camera.framerate,
      }),
      progress: (progress) => this.onProgress(progress),
      warn: (message, details) => this.logger.warn(details, message),
      maxBufferBytes: () => this.config.export.max_buffer_bytes,
    });
    const [newest] = await this.store.listIds(1).catch(() => []);
    if (newest) seedEventIds(newest);
    await this.repairAndRetain();
    this.retentionTimer = setInterval(() => void this.retain(), RETENTION_CHECK_MS);
    this.retentionTimer.unref();
    await source.start(this.sink());
    this.watchdog = setInterval(() => this.checkServing(), 200);
    // Sampled on a timer, not per frame: the hot path stays free of it.
    this.historyTimer = setInterval(() => this.sampleHistory(), HISTORY_INTERVAL_MS);
    this.historyTimer.unref();
  }

  /**
   * The ring for this source: fixed slots for raw frames, packed by bytes for
   * JPEG frames, plus the compressed tier when asked for (raw sources only).
   * Logs what it holds; refuses what the machine cannot hold.
   */
  private async allocateRing(slotBytes: number): Promise<RingBuffer> {
    const { ring: config, camera } = this.config;
    const source = this.source;
    const pixels = source.width * source.height;
    let ring: RingBuffer;
    let arithmetic: string;
    if (source.format === 'mjpeg') {
      const size = packedRingSize(config, camera.framerate, slotBytes, pixels);
      await checkRingFits({ ...size, frames: 1 }, size.bytes);
      ring = new RingBuffer(size.frames, slotBytes, size.bytes);
      arithmetic = size.arithmetic;
    } else {
      const size = ringSize(config, camera.framerate, slotBytes);
      await checkRingFits(size, slotBytes);
      ring = new RingBuffer(size.frames, slotBytes);
      arithmetic = size.arithmetic;
    }
    const rawSpanS = ring.packed ? (ring.payloadBytes - slotBytes) / (pixels * JPEG_BYTES_PER_PIXEL) / camera.framerate : ring.capacity / camera.framerate;
    this.logger.info(
      {
        frames: ring.capacity,
        slot_bytes: slotBytes,
        payload_bytes: ring.payloadBytes,
        packed: ring.packed,
        seconds: round(rawSpanS),
        sized_by: ring.packed ? 'packed' : 'slots',
      },
      `ring buffer: ${arithmetic}, ${(ring.payloadBytes / 1e6).toFixed(1)} MB allocated, ~${round(rawSpanS)} s` +
        (ring.packed ? ` at ~${Math.round(pixels * JPEG_BYTES_PER_PIXEL / 1000)} KB a frame (the status reports the span at the sizes that arrive)` : ''),
    );
    let spanS = rawSpanS;
    if (config.compressed_seconds > 0 && source.format !== 'mjpeg') {
      const seconds = (config.seconds ?? ring.capacity / camera.framerate) + config.compressed_seconds;
      const size = packedRingSize(
        { seconds, ...(config.compressed_max_bytes !== undefined ? { max_bytes: config.compressed_max_bytes } : {}), compressed_seconds: 0, compressed_quality: 80 },
        camera.framerate,
        slotBytes,
        pixels,
        'ring.compressed',
      );
      await checkRingFits({ ...size, frames: 1 }, size.bytes + ring.payloadBytes);
      this.tier = new CompressedTier(ring, source, { bytes: size.bytes, frames: size.frames, quality: config.compressed_quality });
      spanS = Math.max(spanS, seconds);
      this.logger.info(
        { payload_bytes: size.bytes, quality: config.compressed_quality, seconds: round(seconds) },
        `compressed tier: ${size.arithmetic}, ${(size.bytes / 1e6).toFixed(1)} MB allocated, ~${round(seconds)} s of JPEG q${config.compressed_quality} at ~${Math.round(pixels * JPEG_BYTES_PER_PIXEL / 1000)} KB a frame`,
      );
    }
    if (spanS < this.config.export.save_before_s) {
      this.logger.warn({ span_s: round(spanS), save_before_s: this.config.export.save_before_s }, 'ring holds less than export.save_before_s: events will miss their oldest frames');
    }
    return ring;
  }

  /** Where the source writes: straight into ring slots, scored and published on commit. */
  private sink(): FrameSink {
    const tool = this.source.kind;
    return {
      acquire: () => this.ring.acquire(),
      commit: (length, capture) => this.ingest(length, capture),
      dropped: (why) => {
        this.framesDropped++;
        this.logger.debug({ reason: why }, 'frame dropped');
      },
      error: (message) => {
        this.lastError = message;
        this.logger.error({ source: tool }, `frame source failed: ${message}; restarting`);
      },
      log: (line, important) => this.logger[important === true ? 'warn' : 'info']({ source: tool }, line),
    };
  }

  /** Stops triggers, lets exports finish for `export.shutdown_grace_s`, then stops capture. */
  async stop(): Promise<void> {
    clearInterval(this.watchdog);
    clearInterval(this.retentionTimer);
    clearInterval(this.historyTimer);
    await this.exporter.close(this.config.export.shutdown_grace_s * 1000);
    this.tier?.close();
    await this.source.stop();
    this.setServing(false);
  }

  subscribe(listener: (event: CoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onServingChange(listener: (serving: boolean) => void): () => void {
    this.servingListeners.add(listener);
    return () => this.servingListeners.delete(listener);
  }

  /** Called after Configure changed something, with the new config and the paths that changed. */
  onConfigChange(listener: (config: Config, changedPaths: string[]) => void): () => void {
    this.configListeners.add(listener);
    return () => this.configListeners.delete(listener);
  }

  /** The newest `seconds` of one-a-second samples (by count), with the night transitions and events since the first. */
  recentHistory(seconds: number): HistoryWindow {
    return this.history.latest((seconds * 1000) / HISTORY_INTERVAL_MS);
  }

  /**
   * The newest frame as a JPEG at most `maxWidth` wide (aspect kept), from the
   * shared encoder; undefined while there is no frame. For low-rate snapshots
   * (Home Assistant's camera picture), not for streaming.
   */
  async snapshot(maxWidth: number, quality: number): Promise<Buffer | undefined> {
    const { width, height } = this.source;
    const outWidth = Math.min(width, maxWidth);
    const outHeight = Math.max(1, Math.round((height * outWidth) / width));
    const encoded = this.ring.size > 0 ? this.encoder.encode(this.ring.newestId, { encoding: 'jpeg', width: outWidth, height: outHeight, quality, pixelFormat: 'rgb24', qualitySet: true }) : undefined;
    return encoded ? Buffer.from((await encoded).data) : undefined;
  }

  get isServing(): boolean {
    return this.serving;
  }

  /** Starts an event; throws INVALID_ARGUMENT naming the field for bad arguments. */
  trigger(request: TriggerRequest): Promise<AcceptedEvent> {
    const valid = validate(triggerRequestSchema, request);
    checkWindow(valid, this.config.export);
    return this.exporter.trigger({
      source: valid.source,
      reason: valid.reason,
      label: valid.label,
      stack: valid.stack,
      beforeS: valid.before_s,
      afterS: valid.after_s,
      formats: valid.formats,
    });
  }

  /**
   * Deletes an event folder. One still being written is cancelled first (its
   * export stops and reports `cancelled`), so a long event never has to be
   * waited out.
   */
  async deleteEvent(eventId: string): Promise<{ bytesFreed: number; cancelled: boolean }> {
    checkEventId(eventId);
    const cancelled = await this.exporter.cancel(eventId);
    return { bytesFreed: await this.store.delete(eventId), cancelled };
  }

  get events(): EventStore {
    return this.store;
  }

  nightState(): NightSnapshot & { fps: number } {
    return { ...this.night.snapshot(), fps: this.currentFps };
  }

  currentConfig(): Config {
    return this.config;
  }

  /**
   * Frames for one reader. `reader` says who it is and, with a delivery
   * probe, bounds what it has in flight (stream/delivery-window.ts).
   */
  frames(request: StreamRequest, signal: AbortSignal, reader?: StreamReader): AsyncGenerator<StreamedFrame> {
    const valid = validate(streamRequestSchema, request);
    const resized = (valid.width > 0 && valid.width !== this.source.width) || (valid.height > 0 && valid.height !== this.source.height);
    if (valid.encoding === 'raw' && valid.pixel_format === 'yuv420' && (this.source.format !== 'yuv420' || resized)) {
      throw new PicamError('INVALID_ARGUMENT', `pixel_format: PIXEL_FORMAT_YUV420 is offered only at full size from a camera that keeps yuv420; this one keeps ${this.source.format}`, {
        field: 'pixel_format',
      });
    }
    checkStreamOutput(this.source, valid, request.max_frame_bytes);
    const options: StreamOptions = {
      encoding: valid.encoding,
      maxFps: valid.max_fps,
      quality: valid.quality,
      width: valid.width,
      height: valid.height,
      pixelFormat: valid.pixel_format,
      qualitySet: valid.quality_set,
      historyS: valid.history_s,
    };
    const feed: FrameFeed = {
      ring: this.ring,
      encoder: this.encoder,
      width: this.source.width,
      height: this.source.height,
      format: this.source.format,
      subscribe: (listener) => {
        this.frameListeners.add(listener);
        this.subscribers++;
        return () => {
          this.frameListeners.delete(listener);
          this.subscribers--;
        };
      },
    };
    const window = this.readers.window(reader);
    return this.readers.track(streamFrames(feed, options, signal, window), reader, options.encoding, window);
  }

  /**
   * Validates `updates` with the start-up schema and applies them. Values that
   * only a restart can change are refused, unless unchanged.
   */
  async configure(updates: ReadonlyMap<string, unknown>, validateOnly: boolean, persist: boolean): Promise<ConfigureResult> {
    const next = applyConfigUpdate(this.config, updates);
    const changed = new Map([...updates].filter(([p]) => JSON.stringify(read(next, p)) !== JSON.stringify(read(this.config, p))));
    const fixed = restartOnlyPaths(changed);
    if (fixed.length > 0) {
      throw new PicamError('FAILED_PRECONDITION', `${fixed.join(', ')}: only a restart can change this`, { field: fixed[0] });
    }
    // Where picam writes (and retention deletes) is the file owner's choice, not a remote caller's.
    const guarded = ['export.base_dir', 'export.allow_runtime_base_dir'].filter((p) => changed.has(p));
    if (guarded.length > 0 && !this.config.export.allow_runtime_base_dir) {
      throw new PicamError('FAILED_PRECONDITION', `${guarded.join(', ')}: set export.allow_runtime_base_dir in the config file to change this at run time`, {
        field: guarded[0],
      });
    }
    if (validateOnly) return { config: next, appliedPaths: [], persisted: false };
    const nightBefore = JSON.stringify(this.captureSettings());
    this.config = next;
    const transition = this.night.configure(next.night, Date.now());
    if (transition) this.applyTransition(transition);
    else if (JSON.stringify(this.captureSettings()) !== nightBefore) {
      // New night exposure, gain or mode while night is in force: apply them now.
      const settings = this.captureSettings();
      this.source.apply(settings);
      this.currentFps = settings.fps;
    }
    this.logger.level = next.logging.level;
    if (changed.size > 0) {
      this.logger.info({ paths: [...changed.keys()] }, 'configuration changed');
      for (const listener of this.configListeners) listener(next, [...changed.keys()]);
    }
    if (persist) {
      await persistConfig(this.options.configFile, next, [...updates.keys()]).catch((error: unknown) => {
        throw PicamError.from(error);
      });
      this.logger.info({ file: this.options.configFile, paths: [...updates.keys()] }, 'configuration persisted (previous version in .bak)');
    }
    return { config: next, appliedPaths: [...changed.keys()], persisted: persist };
  }

  status(): PicamStatus {
    const ring = this.ring;
    const oldest = ring.timestampOf(ring.oldestId);
    const newest = ring.timestampOf(ring.newestId);
    const sourceStats = this.source.stats();
    return {
      version: this.options.version,
      startMs: this.startMs,
      source: {
        kind: this.source.kind,
        reason: this.sourceReason,
        running: this.serving,
        framesCaptured: this.framesCaptured,
        framesDropped: this.framesDropped,
        framesPerSecond: this.serving ? Math.round(this.fps * 100) / 100 : 0,
        restarts: sourceStats.restarts,
        lastError: sourceStats.lastError || this.lastError,
        width: this.source.width,
        height: this.source.height,
        format: this.source.format,
      },
      ring: {
        capacity: ring.capacity,
        filled: ring.size,
        payloadBytes: ring.payloadBytes,
        slotBytes: ring.slotBytes,
        oldestId: ring.oldestId,
        newestId: ring.newestId,
        spanS: oldest !== undefined && newest !== undefined ? (newest - oldest) / 1000 : 0,
        capacityS: ring.framesAtCurrentSize / this.config.camera.framerate,
        packed: ring.packed,
        bytesHeld: ring.bytesHeld,
        ...(this.tier ? { compressed: this.tierStatus(this.tier) } : {}),
      },
      serving: this.serving,
      eventsPending: this.exporter.pendingCount,
      eventsTotal: this.exporter.totalCount,
      streamSubscribers: this.subscribers,
      streamEncodes: this.encoder.encodes,
      streamDropped: this.readers.lagged,
      streamReaders: this.readers.list(),
      night: this.night.isNight,
    };
  }

  /** The start-up log can only guess JPEG sizes; once frames have arrived, say what the ring really holds. */
  private logSpan(): void {
    const { ring } = this.status();
    this.logger.info(
      { capacity_s: round(ring.capacityS), bytes_held: ring.bytesHeld, compressed_capacity_s: ring.compressed ? round(ring.compressed.capacityS) : undefined },
      `ring holds ~${round(ring.capacityS)} s at the frame sizes arriving` + (ring.compressed ? `, the compressed tier ~${round(ring.compressed.capacityS)} s` : ''),
    );
  }

  private tierStatus(tier: CompressedTier): CompressedTierStatus {
    return {
      quality: tier.quality,
      payloadBytes: tier.payloadBytes,
      bytesHeld: tier.bytesHeld,
      filled: tier.size,
      oldestId: tier.oldestRawId,
      newestId: tier.newestRawId,
      spanS: tier.spanS,
      capacityS: tier.framesAtCurrentSize / this.config.camera.framerate,
      encoded: tier.encoded,
      skipped: tier.skipped,
      meanEncodeMs: tier.encoded === 0 ? 0 : Math.round((tier.encodeMs / tier.encoded) * 100) / 100,
    };
  }

  /** The hot path: runs once per frame, allocates nothing. */
  private ingest(length: number, capture: CaptureInfo): void {
    const { width, height, format } = this.source;
    const wasNight = this.night.isNight;
    const jpeg = format === 'mjpeg';
    const slot = this.ring.acquire();
    const score = jpeg ? this.lastScore : darkScore(slot, width, height, format);
    const id = this.ring.commit(length, { ...capture, darkScore: score, night: wasNight });
    if (jpeg) this.scoreJpeg(id, capture);
    else this.judge(score, capture, id);
    this.tier?.offer();
    if (this.lastFrameMs > 0) {
      const instant = 1000 / Math.max(1, capture.timestampMs - this.lastFrameMs);
      this.fps = this.fps === 0 ? instant : this.fps * 0.95 + instant * 0.05;
    }
    this.lastFrameMs = capture.timestampMs;
    this.framesCaptured++;
    // Once: the rate the camera really gives (a webcam may deliver far less than asked for).
    if (this.framesCaptured === RATE_LOG_FRAMES) {
      this.logger.info({ measured_fps: round(this.fps), asked_fps: this.currentFps }, `capture rate: ${round(this.fps)} fps measured, ${this.currentFps} asked for`);
    }
    if (this.framesCaptured === SPAN_LOG_FRAMES && (this.ring.packed || this.tier)) this.logSpan();
    if (!this.serving) this.setServing(true);
    for (const listener of this.frameListeners) listener();
  }

  private judge(score: number, capture: CaptureInfo, frameId: number): void {
    this.lastScore = score;
    const transition = this.night.update(score, { exposureUs: capture.exposureUs, gain: capture.gain }, capture.timestampMs, frameId);
    if (transition) this.applyTransition(transition);
  }

  /** JPEG frames need a decode to score: one at a time off the event loop; frames meanwhile reuse the last score. */
  private scoreJpeg(id: number, capture: CaptureInfo): void {
    if (this.scoring) return;
    const frame = this.ring.get(id);
    if (!frame) return;
    this.scoring = true;
    jpegDarkScore(Buffer.from(frame.data))
      .then(
        (score) => {
          this.ring.setDarkScore(id, score);
          this.judge(score, capture, id);
        },
        (error: unknown) => this.logger.debug({ err: error }, 'cannot score JPEG frame'),
      )
      .finally(() => (this.scoring = false));
  }

  /** What the source should capture with in the current mode. */
  private captureSettings(): CaptureSettings {
    const { mode } = this.config.night;
    const exposureFps = 1e6 / this.night.exposure.exposureUs;
    // slow_video: as fast as the exposure allows; still: single exposures, at most one a second.
    const nightFps = mode === 'still' ? Math.min(1, exposureFps) : exposureFps;
    // Rounded down (3 decimals, what the camera tools are given) so the frame is never shorter than the shutter.
    const fps = this.night.isNight ? floorFps(Math.min(this.config.camera.framerate, nightFps)) : this.config.camera.framerate;
    return { exposure: this.night.exposure, fps };
  }

  private applyTransition(transition: NightTransition): void {
    const settings = this.captureSettings();
    this.source.apply(settings);
    this.currentFps = settings.fps;
    const details = {
      night: transition.night,
      dark_score: round(transition.darkScore),
      normalized_score: round(transition.normalizedScore),
      exposure_us: transition.exposure.exposureUs,
      gain: round(transition.exposure.gain),
      fps: round(settings.fps),
      frame_id: transition.frameId,
      reason: transition.reason,
    };
    if (transition.kind === 'adjust') {
      this.logger.info(details, 'night exposure adjusted');
      return;
    }
    this.logger.info(details, transition.night ? 'night mode on' : 'night mode off');
    this.history.markTransition({
      timeMs: transition.timestampMs,
      night: transition.night,
      frameId: transition.frameId,
      darkScore: transition.darkScore,
      normalizedScore: transition.normalizedScore,
      reason: transition.reason,
    });
    this.emit({ kind: 'night', transition, fps: settings.fps });
  }

  /** After an unclean stop: temp files removed, manifest-less folders given a partial manifest. */
  private async repairAndRetain(): Promise<void> {
    try {
      const repaired = await repairEvents(this.baseDir());
      if (repaired.tempFilesRemoved > 0 || repaired.manifestsWritten.length > 0 || repaired.manifestsCorrected.length > 0) {
        this.logger.warn(
          { temp_files_removed: repaired.tempFilesRemoved, events_recovered: repaired.manifestsWritten, events_marked_partial: repaired.manifestsCorrected },
          'repaired events left by an unclean stop',
        );
      }
    } catch (error) {
      this.logger.error({ err: error }, 'cannot check events for repair');
    }
    await this.retain();
  }

  /** Applies export.max_bytes / max_age_days; never touches an event being written. */
  private retain(): Promise<void> {
    this.retention = this.retention.then(async () => {
      const { max_bytes, max_age_days } = this.config.export;
      try {
        const result = await enforceRetention(this.baseDir(), { maxBytes: max_bytes, maxAgeDays: max_age_days }, (id) => this.exporter.isPending(id));
        if (result.deleted.length > 0) {
          this.logger.info({ deleted: result.deleted, bytes_freed: result.bytesFreed, bytes_kept: result.bytesKept }, `retention deleted ${result.deleted.length} events`);
        }
      } catch (error) {
        this.logger.error({ err: error }, 'retention failed');
      }
    });
    return this.retention;
  }

  private onProgress(progress: EventProgress): void {
    if (progress.state !== 'pending') void this.retain();
    if (progress.state === 'pending') {
      this.eventsTriggered++;
      const { timeMs, source, reason } = progress.trigger;
      this.history.markEvent({ timeMs, eventId: progress.eventId, source, reason, state: 'pending' });
    } else this.history.updateEvent(progress.eventId, progress.state);
    const level = progress.state === 'failed' ? 'error' : progress.state === 'partial' ? 'warn' : 'info';
    this.logger[level](
      { event_id: progress.eventId, state: progress.state, dir: progress.dir, frames: progress.framesWritten, error: progress.error },
      `event ${progress.state}`,
    );
    this.emit({ kind: 'event', progress, timestampMs: Date.now() });
  }

  private emit(event: CoreEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  private sampleHistory(): void {
    const night = this.night.snapshot();
    this.history.record({
      timeMs: Date.now(),
      darkScore: night.darkScore,
      normalizedScore: night.normalizedScore,
      night: night.night,
      exposureUs: night.exposure.exposureUs,
      gain: night.exposure.gain,
      fps: this.serving ? this.fps : 0,
      dropped: this.framesDropped - this.sampled.framesDropped,
      streamDropped: this.readers.lagged - this.sampled.streamDropped,
      subscribers: this.subscribers,
      events: this.eventsTriggered - this.sampled.events,
    });
    this.sampled.framesDropped = this.framesDropped;
    this.sampled.streamDropped = this.readers.lagged;
    this.sampled.events = this.eventsTriggered;
  }

  private checkServing(): void {
    const fps = this.fps > 0 ? this.fps : this.config.camera.framerate;
    const stalled = Date.now() - this.lastFrameMs > Math.max(1000, 5000 / fps);
    if (stalled && this.serving) {
      this.lastError = 'no frames from the source';
      this.logger.warn({ last_frame_ms_ago: Date.now() - this.lastFrameMs }, 'frame source stalled');
    }
    this.setServing(!stalled);
  }

  private setServing(serving: boolean): void {
    if (serving === this.serving) return;
    this.serving = serving;
    for (const listener of this.servingListeners) listener(serving);
  }

  private baseDir(): string {
    return path.resolve(path.dirname(this.options.configFile), this.config.export.base_dir);
  }
}

function read(config: Config, dotted: string): unknown {
  return dotted.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], config);
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
