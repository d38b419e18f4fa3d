/**
 * A token bucket: a burst of `capacity` takes, refilled continuously at
 * `perSecond`. The line adapter's two allowances (triggers per connection,
 * wrong-token log lines) are this one rule with different numbers, so it
 * lives once, with its clock injected for tests.
 */
export class TokenBucket {
  private tokens: number;
  private refilledMs: number;

  constructor(
    private readonly capacity: number,
    private readonly perSecond: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = capacity;
    this.refilledMs = now();
  }

  /** Takes one token if there is one; false (and nothing taken) when the bucket is empty. */
  take(): boolean {
    const now = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.refilledMs) / 1000) * this.perSecond);
    this.refilledMs = now;
    // Refills add up in floating point (ten 0.099s are not quite 0.99): a hair under one counts as one.
    if (this.tokens < 1 - EPSILON) return false;
    this.tokens = Math.max(0, this.tokens - 1);
    return true;
  }
}

const EPSILON = 1e-9;
