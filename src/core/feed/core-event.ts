import type { EventProgress } from '../export/exporter.js';
import type { NightTransition } from '../night/night-controller.js';

/** What the core announces: night transitions and event progress. */
export type CoreEvent =
  | { kind: 'night'; transition: NightTransition; fps: number }
  | { kind: 'event'; progress: EventProgress; timestampMs: number };

/** Events held for one subscriber that stops reading before the oldest are dropped (counted). */
export const EVENT_QUEUE = 256;
