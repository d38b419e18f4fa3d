import type { EventSummary, Picam } from '../core/index.js';

/**
 * The JSON bodies of /api/status and the event listings. Field names are
 * the proto's (GetStatusResponse, GetNightStateResponse, Event), so a
 * number is called the same over gRPC and HTTP; measured and requested
 * frame rates say which they are.
 */
export function statusJson(core: Picam): Record<string, unknown> {
  const s = core.status();
  const night = core.nightState();
  return {
    version: s.version,
    serving: s.serving,
    source: {
      kind: s.source.kind,
      width: s.source.width,
      height: s.source.height,
      measured_frames_per_second: s.source.framesPerSecond,
      frames_captured: s.source.framesCaptured,
      frames_dropped: s.source.framesDropped,
      restarts: s.source.restarts,
      last_error: s.source.lastError,
    },
    ring: { capacity: s.ring.capacity, filled: s.ring.filled, span_s: s.ring.spanS, payload_bytes: s.ring.payloadBytes },
    night: {
      night: night.night,
      enabled: night.enabled,
      dark_score: night.darkScore,
      normalized_score: night.normalizedScore,
      exposure_us: night.exposure.exposureUs,
      gain: night.exposure.gain,
      requested_frames_per_second: night.fps,
      transitions: night.transitions,
    },
    events_pending: s.eventsPending,
    events_total: s.eventsTotal,
    stream_subscribers: s.streamSubscribers,
    stream_readers: s.streamReaders.map((r) => ({
      transport: r.transport,
      peer: r.peer,
      encoding: r.encoding,
      since_ms: r.sinceMs,
      frames_sent: r.framesSent,
      frames_dropped: r.framesDropped,
      frames_in_flight: r.framesInFlight,
      bytes_in_flight: r.bytesInFlight,
      in_flight_tracked: r.tracked,
    })),
  };
}

export function summaryJson(summary: EventSummary): Record<string, unknown> {
  return {
    event_id: summary.eventId,
    state: summary.state,
    trigger_ms: summary.triggerMs,
    source: summary.triggerSource,
    reason: summary.reason,
    frame_count: summary.frameCount,
    bytes: summary.bytes,
  };
}
