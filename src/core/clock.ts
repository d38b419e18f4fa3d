/**
 * The core's one source of time. Everything in the core that stamps, windows
 * or compares times asks a Clock, so a test can run the service on a clock
 * that frames drive (FrameClock) and count frames exactly.
 */
export interface Clock {
  /** Whole milliseconds since the epoch, as Date.now() (wire timestamps and event ids take integers). */
  wallMs(): number;
  /** Milliseconds on a clock that never goes back, as performance.now(). */
  monotonicMs(): number;
}

/** The machine's clocks. */
export const systemClock: Clock = {
  wallMs: () => Date.now(),
  monotonicMs: () => performance.now(),
};

/** The times of one frame. */
export interface FrameTime {
  wallMs: number;
  monotonicMs: number;
}

/**
 * Time counted in frames: frame n is stamped `t0 + n / fps` (fps as it was
 * for each interval), however late the machine produced it; t0 is the
 * machine's time at the first frame. Between frames the clock reads half
 * an interval past the newest frame, so a window of `s` seconds around
 * "now" holds exactly `s * fps` frames, with half a frame to spare at each
 * edge (never a float tie). Wall times are whole milliseconds, like
 * Date.now(); windows are chosen on the monotonic times. Before the first frame it reads the machine's
 * clocks. Only a source that calls `advance()` per frame (the synthetic
 * one, driven so: PICAM_CLOCK=frames) can drive it.
 */
export class FrameClock implements Clock {
  /** Wall minus monotonic, fixed at the first frame. */
  private wallOffset = 0;
  /** Monotonic time of the newest frame; NaN before the first. */
  private last = Number.NaN;
  private intervalMs = 0;

  constructor(private readonly machine: Clock = systemClock) {}

  /** Stamps the next frame, `1000 / fps` ms (the rate now) after the previous one. */
  advance(fps: number): FrameTime {
    this.intervalMs = 1000 / fps;
    if (Number.isNaN(this.last)) {
      this.last = this.machine.monotonicMs();
      this.wallOffset = this.machine.wallMs() - this.last;
    } else this.last += this.intervalMs;
    return { wallMs: Math.round(this.last + this.wallOffset), monotonicMs: this.last };
  }

  monotonicMs(): number {
    return Number.isNaN(this.last) ? this.machine.monotonicMs() : this.last + this.intervalMs / 2;
  }

  wallMs(): number {
    return Number.isNaN(this.last) ? this.machine.wallMs() : Math.round(this.monotonicMs() + this.wallOffset);
  }
}
