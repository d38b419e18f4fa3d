import type { Clock } from '../clock.js';
import type { EventProgress } from '../export/exporter.js';
import type { History } from '../history/history.js';
import type { Logger } from '../logger.js';
import type { CoreEvent } from './core-event.js';
import type { EventFeed } from './event-feed.js';

export interface AnnouncerDeps {
  feed: EventFeed<CoreEvent>;
  history: History;
  logger: Logger;
  clock: Clock;
  /** Called when an event is finished, whatever its state (retention runs then). */
  finished: () => void;
}

/**
 * Where the exporter's progress goes: the log, the history timeline and the
 * event feed, in that order, plus a count of events triggered (for the
 * history's per-second sample).
 */
export class ProgressAnnouncer {
  triggered = 0;

  constructor(private readonly deps: AnnouncerDeps) {}

  readonly announce = (progress: EventProgress): void => {
    const { history, logger } = this.deps;
    if (progress.state === 'pending') {
      this.triggered++;
      const { timeMs, source, reason } = progress.trigger;
      history.markEvent({ timeMs, eventId: progress.eventId, source, reason, state: 'pending' });
    } else {
      this.deps.finished();
      history.updateEvent(progress.eventId, progress.state);
    }
    const level = progress.state === 'failed' ? 'error' : progress.state === 'partial' ? 'warn' : 'info';
    logger[level]({ event_id: progress.eventId, state: progress.state, dir: progress.dir, frames: progress.framesWritten, error: progress.error }, `event ${progress.state}`);
    this.deps.feed.publish({ kind: 'event', progress, timestampMs: this.deps.clock.wallMs() });
  };
}
