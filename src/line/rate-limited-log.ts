import type { Logger } from '../core/index.js';
import { TokenBucket } from './token-bucket.js';

/**
 * A log line that a hostile client can trigger at will (a wrong token) must
 * not let it flood the log: a burst of `burst` lines, then one per
 * `intervalMs`; the next line logged says how many were left out.
 */
export class RateLimitedLog {
  private readonly bucket: TokenBucket;
  private suppressed = 0;

  constructor(
    private readonly logger: Logger,
    burst = 5,
    intervalMs = 10_000,
    now: () => number = () => performance.now(),
  ) {
    this.bucket = new TokenBucket(burst, 1000 / intervalMs, now);
  }

  warn(details: Record<string, unknown>, message: string): void {
    if (!this.bucket.take()) {
      this.suppressed++;
      return;
    }
    this.logger.warn(this.suppressed > 0 ? { ...details, suppressed: this.suppressed } : details, message);
    this.suppressed = 0;
  }
}
