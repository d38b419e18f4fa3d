import type { Clock } from '../clock.js';
import type { NightSnapshot } from '../night/night-controller.js';
import { HISTORY_INTERVAL_MS, type History } from './history.js';

/** Counters the sampler reads; it records their per-second change. */
export interface SampledCounters {
  night: NightSnapshot;
  /** Measured fps while serving, else 0. */
  fps: number;
  framesDropped: number;
  streamDropped: number;
  streamSubscribers: number;
  eventsTriggered: number;
}

/**
 * One history sample a second, on a timer rather than per frame, so the hot
 * path stays free of it. Counters become deltas since the previous sample.
 */
export class HistorySampler {
  private timer: NodeJS.Timeout | undefined;
  private readonly previous = { framesDropped: 0, streamDropped: 0, events: 0 };

  constructor(
    private readonly history: History,
    private readonly read: () => SampledCounters,
    private readonly clock: Clock,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => this.sample(), HISTORY_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Records one sample now (the timer's job; tests call it directly). */
  sample(): void {
    const now = this.read();
    const { night } = now;
    const previous = this.previous;
    this.history.record({
      timeMs: this.clock.wallMs(),
      darkScore: night.darkScore,
      normalizedScore: night.normalizedScore,
      night: night.night,
      exposureUs: night.exposure.exposureUs,
      gain: night.exposure.gain,
      fps: now.fps,
      dropped: now.framesDropped - previous.framesDropped,
      streamDropped: now.streamDropped - previous.streamDropped,
      subscribers: now.streamSubscribers,
      events: now.eventsTriggered - previous.events,
    });
    previous.framesDropped = now.framesDropped;
    previous.streamDropped = now.streamDropped;
    previous.events = now.eventsTriggered;
  }
}
