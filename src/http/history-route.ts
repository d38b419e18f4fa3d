import { HISTORY_SECONDS, invalidField, type Picam } from '../core/index.js';

/**
 * `GET /api/history?seconds=N`: the core's one-a-second history as JSON,
 * samples in columns (one array per figure, oldest first) so an hour is
 * ~200 KB rather than 3,600 objects, plus the night transitions and events
 * at their exact times and the thresholds in force (the timeline's lines).
 */
export function historyJson(core: Picam, params: URLSearchParams): Record<string, unknown> {
  const seconds = secondsParam(params);
  const window = core.recentHistory(seconds);
  const night = core.nightState();
  const s = window.samples;
  return {
    seconds,
    interval_ms: window.intervalMs,
    capacity_s: (window.capacity * window.intervalMs) / 1000,
    now_ms: Date.now(),
    thresholds: {
      dark: night.settings.dark_threshold,
      bright: night.settings.bright_threshold,
      min_dark_frames: night.settings.min_dark_frames,
      night_enabled: night.enabled,
    },
    samples: {
      time_ms: s.timeMs,
      dark_score: s.darkScore.map(round),
      normalized_score: s.normalizedScore.map(round),
      night: s.night.map((v) => v === 1),
      exposure_us: s.exposureUs,
      gain: s.gain.map(round),
      fps: s.fps.map(round),
      dropped: s.dropped,
      stream_dropped: s.streamDropped,
      stream_subscribers: s.subscribers,
      events: s.events,
    },
    transitions: window.transitions.map((t) => ({
      time_ms: t.timeMs,
      night: t.night,
      frame_id: t.frameId,
      dark_score: round(t.darkScore),
      normalized_score: round(t.normalizedScore),
      reason: t.reason,
    })),
    events: window.events.map((e) => ({ time_ms: e.timeMs, event_id: e.eventId, source: e.source, reason: e.reason, state: e.state })),
  };
}

/** Whole seconds, 1 to the history's span; absent means all of it. */
function secondsParam(params: URLSearchParams): number {
  const raw = params.get('seconds');
  if (raw === null) return HISTORY_SECONDS;
  const value = raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > HISTORY_SECONDS) {
    throw invalidField('seconds', `integer >= 1 and <= ${HISTORY_SECONDS}`, raw);
  }
  return value;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
