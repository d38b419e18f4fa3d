import type { FrameSink, FrameSource } from '../capture/frame-source.js';
import type { CaptureInfo } from '../frame.js';
import type { Logger } from '../logger.js';
import type { NightBridge } from '../night/night-bridge.js';
import type { CompressedTier } from '../ring/compressed-tier.js';
import type { FrameFields, RingBuffer } from '../ring/ring-buffer.js';
import type { ServingWatchdog } from '../serving/serving-watchdog.js';

export interface FrameIngestDeps {
  source: FrameSource;
  ring: RingBuffer;
  tier: CompressedTier | undefined;
  night: NightBridge;
  watchdog: ServingWatchdog;
  logger: Logger;
  /** After each frame, with the count so far and the measured rate (the start-up milestones log from it). */
  counted?: (framesCaptured: number, fps: number) => void;
}

/** Weight of the newest interval in the measured rate (an exponential average). */
const FPS_WEIGHT = 0.05;

/**
 * Where the source's frames land: committed to the ring with their dark
 * score, judged for night, offered to the compressed tier, counted, and
 * announced to stream readers. Also measures the capture rate.
 */
export class FrameIngest {
  framesCaptured = 0;
  framesDropped = 0;
  /** Measured frames per second (exponential average of the intervals). */
  fps = 0;
  /** The last failure the source reported through the sink. */
  lastError = '';
  private lastFrameMs = 0;
  private readonly frameListeners = new Set<() => void>();
  /** Reused for every commit: the ring copies the fields into its own arrays. */
  private readonly fields: FrameFields = { timestampMs: 0, monotonicMs: 0, exposureUs: 0, gain: 0, darkScore: 0, night: false };

  constructor(private readonly deps: FrameIngestDeps) {}

  /** Stream readers waiting for frames now. */
  get listeners(): number {
    return this.frameListeners.size;
  }

  /** Calls `listener` after every frame; returns the unsubscribe. */
  onFrame(listener: () => void): () => void {
    this.frameListeners.add(listener);
    return () => this.frameListeners.delete(listener);
  }

  /** What the source writes into: straight into ring slots, scored and published on commit. */
  sink(): FrameSink {
    const { ring, logger, source } = this.deps;
    const tool = source.kind;
    return {
      acquire: () => ring.acquire(),
      commit: (length, capture) => this.ingest(length, capture),
      dropped: (why) => {
        this.framesDropped++;
        logger.debug({ reason: why }, 'frame dropped');
      },
      error: (message) => {
        this.lastError = message;
        logger.error({ source: tool }, `frame source failed: ${message}; restarting`);
      },
      log: (line, important) => logger[important === true ? 'warn' : 'info']({ source: tool }, line),
    };
  }

  /**
   * The hot path, once per frame. It allocates no buffers and no metadata
   * record of its own (one is reused); what it calls may (a JPEG source's
   * scoring decode, a tier encode, a listener).
   */
  private ingest(length: number, capture: CaptureInfo): void {
    const { ring, night, tier, watchdog } = this.deps;
    const fields = this.fields;
    fields.night = night.isNight;
    fields.darkScore = night.score(ring.acquire());
    fields.timestampMs = capture.timestampMs;
    fields.monotonicMs = capture.monotonicMs;
    fields.exposureUs = capture.exposureUs;
    fields.gain = capture.gain;
    const id = ring.commit(length, fields);
    night.judge(id, fields.darkScore, capture);
    tier?.offer();
    if (this.lastFrameMs > 0) {
      const instant = 1000 / Math.max(1, capture.timestampMs - this.lastFrameMs);
      this.fps = this.fps === 0 ? instant : this.fps * (1 - FPS_WEIGHT) + instant * FPS_WEIGHT;
    }
    this.lastFrameMs = capture.timestampMs;
    this.framesCaptured++;
    this.deps.counted?.(this.framesCaptured, this.fps);
    watchdog.frame();
    for (const listener of this.frameListeners) listener();
  }
}
