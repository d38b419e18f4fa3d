import type { Logger } from '../core/index.js';

/**
 * A log line that a hostile client can trigger at will (a wrong token) must
 * not let it flood the log: a burst of `burst` lines, then one per
 * `intervalMs`; the next line logged says how many were left out.
 */
export class RateLimitedLog {
  private tokens: number;
  private refilledMs: number;
  private suppressed = 0;

  constructor(
    private readonly logger: Logger,
    private readonly burst = 5,
    private readonly intervalMs = 10_000,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = burst;
    this.refilledMs = now();
  }

  warn(details: Record<string, unknown>, message: string): void {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + (now - this.refilledMs) / this.intervalMs);
    this.refilledMs = now;
    if (this.tokens < 1) {
      this.suppressed++;
      return;
    }
    this.tokens--;
    this.logger.warn(this.suppressed > 0 ? { ...details, suppressed: this.suppressed } : details, message);
    this.suppressed = 0;
  }
}
