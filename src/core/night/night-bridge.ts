import { floorFps } from '../capture/exposure-limits.js';
import type { CaptureSettings, FrameSource } from '../capture/frame-source.js';
import type { Clock } from '../clock.js';
import type { CoreEvent } from '../feed/core-event.js';
import type { EventFeed } from '../feed/event-feed.js';
import type { Config } from '../config/schema.js';
import type { CaptureInfo } from '../frame.js';
import type { History } from '../history/history.js';
import type { Logger } from '../logger.js';
import { jpegDarkScore } from '../pixels/decode.js';
import type { RingBuffer } from '../ring/ring-buffer.js';
import type { LiveConfig } from '../runtime-config/live-config.js';
import { darkScore } from './dark-score.js';
import type { NightController, NightSnapshot, NightTransition } from './night-controller.js';

/**
 * A JPEG frame is decoded to be scored at most this often (capture time). The decode is most of an MJPEG
 * source's CPU (here ~4.6 ms a 720p frame, ~6 ms at 1080p, against ~0.3 ms to score a raw frame; a Pi 4's
 * cores are ~3x slower), and the light a night decision follows changes over seconds, not frames.
 */
const JPEG_SCORE_INTERVAL_MS = 125;

export interface NightBridgeDeps {
  controller: NightController;
  source: FrameSource;
  ring: RingBuffer;
  config: LiveConfig;
  history: History;
  feed: EventFeed<CoreEvent>;
  logger: Logger;
  clock: Clock;
}

/**
 * Between frames and the night controller: scores each frame, hands the
 * score to the controller, and carries out what it decides (the source's
 * exposure and rate, the log, the history, the event feed).
 */
export class NightBridge {
  /** Frame rate the source was last asked for. */
  private fps: number;
  /** MJPEG frames are scored by a decode off the event loop, one at a time. */
  private scoring = false;
  private lastScore = 0;
  private lastScoredId = -1;
  private lastScoredAtMs = 0;
  private readonly jpeg: boolean;

  constructor(private readonly deps: NightBridgeDeps) {
    this.fps = deps.config.current.camera.framerate;
    this.jpeg = deps.source.format === 'mjpeg';
  }

  get isNight(): boolean {
    return this.deps.controller.isNight;
  }

  /** The rate asked of the source now. */
  get askedFps(): number {
    return this.fps;
  }

  /** Dark score of the frame in `slot`, before it is committed; JPEG frames take the last score until theirs is decoded. */
  score(slot: Buffer): number {
    const { width, height, format } = this.deps.source;
    return this.jpeg ? this.lastScore : darkScore(slot, width, height, format);
  }

  /** After frame `id` is committed with `score`: judged now (raw) or once decoded (JPEG). */
  judge(id: number, score: number, capture: CaptureInfo): void {
    if (this.jpeg) this.scoreJpeg(id, capture);
    else this.decide(score, capture, id);
  }

  /**
   * After Configure replaced `previous`: a transition the new night settings
   * cause, or new night exposure, gain or mode applied now while night is in force.
   */
  configure(previous: Config): void {
    const before = JSON.stringify(this.captureSettings(previous));
    const transition = this.deps.controller.configure(this.deps.config.current.night, this.deps.clock.wallMs());
    if (transition) this.apply(transition);
    else if (JSON.stringify(this.captureSettings()) !== before) this.applySettings();
  }

  snapshot(): NightSnapshot & { fps: number } {
    return { ...this.deps.controller.snapshot(), fps: this.fps };
  }

  private decide(score: number, capture: CaptureInfo, frameId: number, frames = 1): void {
    this.lastScore = score;
    const transition = this.deps.controller.update(score, { exposureUs: capture.exposureUs, gain: capture.gain }, capture.timestampMs, frameId, frames);
    if (transition) this.apply(transition);
  }

  /**
   * JPEG frames need a decode to score: one at a time off the event loop, at most one per
   * JPEG_SCORE_INTERVAL_MS; frames meanwhile keep the last score. A score counts for the frames since
   * the last one (so `min_dark_frames` stays a count of frames), but never for more than the interval
   * holds: a decode slower than that counts as fewer frames, as before, never as more.
   */
  private scoreJpeg(id: number, capture: CaptureInfo): void {
    if (this.scoring) return;
    const since = capture.timestampMs - this.lastScoredAtMs;
    if (this.lastScoredId >= 0 && since >= 0 && since < JPEG_SCORE_INTERVAL_MS) return;
    const frame = this.deps.ring.get(id);
    if (!frame) return;
    const most = Math.max(1, Math.round((JPEG_SCORE_INTERVAL_MS * this.fps) / 1000));
    const frames = this.lastScoredId < 0 ? 1 : Math.min(most, Math.max(1, id - this.lastScoredId));
    this.lastScoredId = id;
    this.lastScoredAtMs = capture.timestampMs;
    this.scoring = true;
    jpegDarkScore(Buffer.from(frame.data))
      .then(
        (score) => {
          this.deps.ring.setDarkScore(id, score);
          this.decide(score, capture, id, frames);
        },
        (error: unknown) => this.deps.logger.debug({ err: error }, 'cannot score JPEG frame'),
      )
      .finally(() => (this.scoring = false));
  }

  /** What the source should capture with in the current mode. */
  private captureSettings(config = this.deps.config.current): CaptureSettings {
    const { controller } = this.deps;
    const { mode } = config.night;
    const exposureFps = 1e6 / controller.exposure.exposureUs;
    // slow_video: as fast as the exposure allows; still: single exposures, at most one a second.
    const nightFps = mode === 'still' ? Math.min(1, exposureFps) : exposureFps;
    // Rounded down (3 decimals, what the camera tools are given) so the frame is never shorter than the shutter.
    const framerate = config.camera.framerate;
    const fps = controller.isNight ? floorFps(Math.min(framerate, nightFps)) : framerate;
    return { exposure: controller.exposure, fps };
  }

  private applySettings(): CaptureSettings {
    const settings = this.captureSettings();
    this.deps.source.apply(settings);
    this.fps = settings.fps;
    return settings;
  }

  private apply(transition: NightTransition): void {
    const settings = this.applySettings();
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
      this.deps.logger.info(details, 'night exposure adjusted');
      return;
    }
    this.deps.logger.info(details, transition.night ? 'night mode on' : 'night mode off');
    this.deps.history.markTransition({
      timeMs: transition.timestampMs,
      night: transition.night,
      frameId: transition.frameId,
      darkScore: transition.darkScore,
      normalizedScore: transition.normalizedScore,
      reason: transition.reason,
    });
    this.deps.feed.publish({ kind: 'night', transition, fps: settings.fps });
  }
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
