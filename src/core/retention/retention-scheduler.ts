import type { Clock } from '../clock.js';
import { enforceRetention, repairEvents } from '../export/retention.js';
import type { Logger } from '../logger.js';
import type { LiveConfig } from '../runtime-config/live-config.js';

/** How often retention runs besides after each event (for max_age_days). */
export const RETENTION_CHECK_MS = 10 * 60_000;

export interface RetentionDeps {
  config: LiveConfig;
  /** An event still being written is never deleted. */
  isPending: (eventId: string) => boolean;
  logger: Logger;
  clock: Clock;
}

/**
 * When retention runs: once at start (after repairing what an unclean stop
 * left), after every finished event, and every ten minutes for age limits.
 * Runs are chained, one at a time, so two never delete the same folder.
 */
export class RetentionScheduler {
  private chain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: RetentionDeps) {}

  /** Repairs, retains, then keeps retaining on a timer (unref'd: it never holds the process). */
  async start(): Promise<void> {
    await this.repair();
    await this.retain();
    this.timer = setInterval(() => void this.retain(), RETENTION_CHECK_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Applies export.max_bytes / max_age_days after the runs before it; never rejects. */
  retain(): Promise<void> {
    this.chain = this.chain.then(async () => {
      const { config, logger } = this.deps;
      const { max_bytes, max_age_days } = config.current.export;
      try {
        const result = await enforceRetention(config.baseDir(), { maxBytes: max_bytes, maxAgeDays: max_age_days }, this.deps.isPending, this.deps.clock.wallMs());
        if (result.deleted.length > 0) {
          logger.info({ deleted: result.deleted, bytes_freed: result.bytesFreed, bytes_kept: result.bytesKept }, `retention deleted ${result.deleted.length} events`);
        }
      } catch (error) {
        logger.error({ err: error }, 'retention failed');
      }
    });
    return this.chain;
  }

  /** After an unclean stop: temp files removed, manifest-less folders given a partial manifest. */
  private async repair(): Promise<void> {
    try {
      const repaired = await repairEvents(this.deps.config.baseDir());
      if (repaired.tempFilesRemoved > 0 || repaired.manifestsWritten.length > 0 || repaired.manifestsCorrected.length > 0) {
        this.deps.logger.warn(
          { temp_files_removed: repaired.tempFilesRemoved, events_recovered: repaired.manifestsWritten, events_marked_partial: repaired.manifestsCorrected },
          'repaired events left by an unclean stop',
        );
      }
    } catch (error) {
      this.deps.logger.error({ err: error }, 'cannot check events for repair');
    }
  }
}
