/** How often the watchdog looks for frames. */
export const CHECK_MS = 200;

export interface ServingWatchdogDeps {
  /** The rate frames should arrive at (measured, or asked for before any was measured). */
  expectedFps: () => number;
  /** Told once when frames stop while serving. */
  stalled: (quietMs: number) => void;
}

/**
 * Says whether the service is serving: frames arrive. Serving starts with
 * the first frame; it ends when no frame came for max(1 s, 5 frame
 * intervals). Quiet time is counted in checks without a frame, not read
 * off frame timestamps, so it holds on any clock (a frame clock stands
 * still when frames stop) and a blocked event loop is not taken for a
 * stalled camera.
 */
export class ServingWatchdog {
  private serving = false;
  private framesSinceCheck = 0;
  private quietMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<(serving: boolean) => void>();

  constructor(private readonly deps: ServingWatchdogDeps) {}

  get isServing(): boolean {
    return this.serving;
  }

  start(): void {
    this.timer ??= setInterval(() => this.check(CHECK_MS), CHECK_MS);
  }

  /** Stops watching and ends serving. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.set(false);
  }

  /** Once per frame: cheap, the hot path calls it. */
  frame(): void {
    this.framesSinceCheck++;
    if (!this.serving) this.set(true);
  }

  /** One look, `elapsedMs` after the previous one (the timer's period; tests call it directly). */
  check(elapsedMs: number): void {
    this.quietMs = this.framesSinceCheck > 0 ? 0 : this.quietMs + elapsedMs;
    this.framesSinceCheck = 0;
    const fps = this.deps.expectedFps();
    const stalled = this.quietMs > Math.max(1000, 5000 / (fps > 0 ? fps : 1));
    if (!stalled) return;
    if (this.serving) this.deps.stalled(this.quietMs);
    this.set(false);
  }

  onChange(listener: (serving: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private set(serving: boolean): void {
    if (serving === this.serving) return;
    this.serving = serving;
    for (const listener of this.listeners) listener(serving);
  }
}
