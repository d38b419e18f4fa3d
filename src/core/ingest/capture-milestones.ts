import type { Logger } from '../logger.js';

/** Frames after which the measured capture rate is logged. */
export const RATE_LOG_FRAMES = 90;
/** Frames after which the span at real frame sizes is logged (the start-up log can only estimate JPEG sizes). */
export const SPAN_LOG_FRAMES = 60;

export interface MilestoneDeps {
  logger: Logger;
  /** The rate asked of the source now. */
  askedFps: () => number;
  /** The ring's (and tier's) seconds at the frame sizes arriving; undefined when fixed slots make the start-up log exact. */
  span: () => { capacityS: number; bytesHeld: number; compressedCapacityS?: number | undefined } | undefined;
}

/**
 * Two log lines once capture has settled: the rate the camera really gives
 * (a webcam may deliver far less than asked for), and what a packed ring
 * or compressed tier really holds once real frame sizes are known.
 */
export function captureMilestones(deps: MilestoneDeps): (framesCaptured: number, fps: number) => void {
  return (framesCaptured, fps) => {
    if (framesCaptured === RATE_LOG_FRAMES) {
      const asked = deps.askedFps();
      deps.logger.info({ measured_fps: round(fps), asked_fps: asked }, `capture rate: ${round(fps)} fps measured, ${asked} asked for`);
    }
    if (framesCaptured !== SPAN_LOG_FRAMES) return;
    const span = deps.span();
    if (!span) return;
    const compressed = span.compressedCapacityS;
    deps.logger.info(
      { capacity_s: round(span.capacityS), bytes_held: span.bytesHeld, compressed_capacity_s: compressed !== undefined ? round(compressed) : undefined },
      `ring holds ~${round(span.capacityS)} s at the frame sizes arriving` + (compressed !== undefined ? `, the compressed tier ~${round(compressed)} s` : ''),
    );
  };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
