import path from 'node:path';
import sharp from 'sharp';
import type { HostRoots } from '../capture/capture-devices.js';
import { createSource } from '../capture/create-source.js';
import type { FrameSource } from '../capture/frame-source.js';
import { FrameClock, systemClock, type Clock } from '../clock.js';
import type { Config } from '../config/schema.js';
import { EVENT_QUEUE, type CoreEvent } from '../feed/core-event.js';
import { EventFeed } from '../feed/event-feed.js';
import { ProgressAnnouncer } from '../feed/progress-announcer.js';
import { seedEventIds } from '../export/event-id.js';
import { EventStore } from '../export/event-store.js';
import { Exporter } from '../export/exporter.js';
import { History } from '../history/history.js';
import { HistorySampler } from '../history/history-sampler.js';
import { allocateRing } from '../ingest/allocate-ring.js';
import { captureMilestones } from '../ingest/capture-milestones.js';
import { FrameIngest } from '../ingest/frame-ingest.js';
import type { Logger } from '../logger.js';
import { NightBridge } from '../night/night-bridge.js';
import { NightController } from '../night/night-controller.js';
import type { CompressedTier } from '../ring/compressed-tier.js';
import type { RingBuffer } from '../ring/ring-buffer.js';
import { RetentionScheduler } from '../retention/retention-scheduler.js';
import { exportSettings } from '../runtime-config/export-settings.js';
import { LiveConfig } from '../runtime-config/live-config.js';
import { ServingWatchdog } from '../serving/serving-watchdog.js';
import { SharedEncoder } from '../stream/shared-encoder.js';
import { StreamReaders } from '../stream/stream-readers.js';
import { i420JpegPath } from '../pixels/i420-jpeg.js';

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
  /** `frames`: time is counted in synthetic frames (clock.ts), so tests count frames exactly. Default `system`. */
  clock?: 'system' | 'frames';
}

/** Everything a running core is made of. */
export interface CoreParts {
  options: PicamOptions;
  config: LiveConfig;
  clock: Clock;
  startMs: number;
  source: FrameSource;
  sourceReason: string;
  ring: RingBuffer;
  tier: CompressedTier | undefined;
  encoder: SharedEncoder;
  night: NightBridge;
  exporter: Exporter;
  store: EventStore;
  ingest: FrameIngest;
  watchdog: ServingWatchdog;
  retention: RetentionScheduler;
  history: History;
  sampler: HistorySampler;
  feed: EventFeed<CoreEvent>;
  configFeed: EventFeed<{ config: Config; changedPaths: string[] }>;
  readers: StreamReaders;
}

/**
 * Builds a running core in the order its parts need each other: the source
 * (which decides the clock), the ring sized for it, night, export and the
 * event store, retention (repair first), then capture, the watchdog and the
 * history sampler. Closures that name a part built later run only once
 * capture has started.
 */
export async function assembleCore(options: PicamOptions): Promise<CoreParts> {
  const { logger } = options;
  // libvips caches operations by their inputs (up to 50 MB): every frame picam encodes is new pixels, so it never hits, only holds memory.
  sharp.cache(false);
  const config = new LiveConfig(options.config, options.configFile);
  const frameClock = options.clock === 'frames' ? new FrameClock() : undefined;
  const { source, reason } = await createSource(config.current.camera, {
    baseFolder: path.dirname(options.configFile),
    warn: (message) => logger.warn(message),
    info: (message) => logger.info(message),
    ...(options.hostRoots ? { roots: options.hostRoots } : {}),
    ...(options.rowAlign ? { rowAlign: options.rowAlign } : {}),
    clock: frameClock ? { frameClock } : { clock: systemClock },
  });
  logger.info({ source: source.kind, format: source.format, reason }, `frame source: ${source.kind}`);
  if (source.format === 'yuv420') {
    const jpeg = i420JpegPath();
    // Through RGB is a working path, but at a third of the rate: the operator should know why exports are slow.
    if (jpeg.native) logger.info(`JPEG from I420: ${jpeg.detail}`);
    else logger.warn(`JPEG from I420: ${jpeg.detail}`);
  }
  if (frameClock && source.kind !== 'synthetic') logger.warn(`PICAM_CLOCK=frames needs the synthetic source; ${source.kind} runs on the system clock`);
  const clock: Clock = frameClock && source.kind === 'synthetic' ? frameClock : systemClock;
  const feed = new EventFeed<CoreEvent>(EVENT_QUEUE, (error) => logger.error({ err: error }, 'event listener failed'));
  const configFeed = new EventFeed<{ config: Config; changedPaths: string[] }>(1, (error) => logger.error({ err: error }, 'config listener failed'));
  const history = new History();
  const { ring, tier } = await allocateRing(config.current, source, logger);
  const controller = new NightController(config.current.night, source.dayExposure);
  const night = new NightBridge({ controller, source, ring, config, history, feed, logger, clock });
  const retention: RetentionScheduler = new RetentionScheduler({ config, isPending: (id) => exporter.isPending(id), logger, clock });
  const announcer = new ProgressAnnouncer({ feed, history, logger, clock, finished: () => void retention.retain() });
  const exporter: Exporter = new Exporter({
    ring,
    tier,
    geometry: { width: source.width, height: source.height, format: source.format, colorRange: source.colorRange },
    settings: () => exportSettings(config),
    progress: announcer.announce,
    warn: (message, details) => logger.warn(details, message),
    clock,
    maxBufferBytes: () => config.current.export.max_buffer_bytes,
  });
  const store = new EventStore(() => config.baseDir(), (id) => exporter.pendingTrigger(id));
  const [newest] = await store.listIds(1).catch(() => []);
  if (newest) seedEventIds(newest);
  await retention.start();
  const watchdog = new ServingWatchdog({
    expectedFps: () => (ingest.fps > 0 ? ingest.fps : config.current.camera.framerate),
    stalled: (quietMs) => {
      ingest.lastError = 'no frames from the source';
      logger.warn({ last_frame_ms_ago: quietMs }, 'frame source stalled');
    },
  });
  const framerate = (): number => config.current.camera.framerate;
  const counted = captureMilestones({
    logger,
    askedFps: () => night.askedFps,
    span: () =>
      ring.packed || tier
        ? { capacityS: ring.framesAtCurrentSize / framerate(), bytesHeld: ring.bytesHeld, compressedCapacityS: tier ? tier.framesAtCurrentSize / framerate() : undefined }
        : undefined,
  });
  const ingest: FrameIngest = new FrameIngest({ source, ring, tier, night, watchdog, logger, counted });
  const readers = new StreamReaders(clock);
  const sampler = new HistorySampler(
    history,
    () => ({
      night: controller.snapshot(),
      fps: watchdog.isServing ? ingest.fps : 0,
      framesDropped: ingest.framesDropped,
      streamDropped: readers.lagged,
      streamSubscribers: ingest.listeners,
      eventsTriggered: announcer.triggered,
    }),
    clock,
  );
  const encoder = new SharedEncoder(ring, source);
  const startMs = clock.wallMs();
  await source.start(ingest.sink());
  watchdog.start();
  sampler.start();
  return { options, config, clock, startMs, source, sourceReason: reason, ring, tier, encoder, night, exporter, store, ingest, watchdog, retention, history, sampler, feed, configFeed, readers };
}
