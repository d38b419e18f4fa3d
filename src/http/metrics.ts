import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Picam, PicamStatus } from '../core/index.js';

/** Figures that live in the adapters rather than the core. */
export interface AdapterGauges {
  /** Line-protocol connections open now. */
  lineConnections(): number;
  /** Line-protocol connections accepted since start. */
  lineAccepted(): number;
  /** Browsers watching the live picture now. */
  liveViewers(): number;
}

export interface Metrics {
  registry: Registry;
  close(): void;
}

/** Export durations of interest run from tens of ms (SNAP, 1 s window) to a minute (long windows, slow formats). */
const EXPORT_BUCKETS_S = [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 8, 13, 21, 34, 60, 120];

/**
 * The Prometheus registry: process figures from prom-client's defaults, and
 * picam's own read from the core at scrape time (no work per frame). Counters
 * whose truth is a running total in the core are set from it on each scrape;
 * what the core only announces (finished events, their durations) is counted
 * here from its event feed.
 */
export function createMetrics(core: Picam, adapters: AdapterGauges): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  // One status per scrape, shared by every collector of that scrape.
  let cached: { at: number; status: PicamStatus } | undefined;
  const status = (): PicamStatus => {
    const now = Date.now();
    if (!cached || now - cached.at > 50) cached = { at: now, status: core.status() };
    return cached.status;
  };

  const totalFromCore = (name: string, help: string, read: (s: PicamStatus) => number, bySource = true): void => {
    new Counter({
      name,
      help,
      labelNames: bySource ? ['source'] : [],
      registers,
      collect() {
        const s = status();
        this.reset();
        if (bySource) this.inc({ source: s.source.kind }, read(s));
        else this.inc(read(s));
      },
    });
  };
  const gaugeFromCore = (name: string, help: string, read: (s: PicamStatus) => number, bySource = false): void => {
    new Gauge({
      name,
      help,
      labelNames: bySource ? ['source'] : [],
      registers,
      collect() {
        const s = status();
        this.reset();
        if (bySource) this.set({ source: s.source.kind }, read(s));
        else this.set(read(s));
      },
    });
  };

  totalFromCore('picam_frames_captured_total', 'Frames taken into the ring since start.', (s) => s.source.framesCaptured);
  totalFromCore('picam_frames_dropped_total', 'Frames the source produced that could not be taken in.', (s) => s.source.framesDropped);
  totalFromCore('picam_source_restarts_total', 'Times the camera tool was restarted after exiting or stalling.', (s) => s.source.restarts);
  gaugeFromCore('picam_capture_fps', 'Frame rate measured over the last seconds.', (s) => s.source.framesPerSecond, true);
  gaugeFromCore('picam_source_up', '1 while frames are flowing (gRPC health SERVING), else 0.', (s) => (s.serving ? 1 : 0), true);
  gaugeFromCore('picam_ring_capacity_frames', 'Frames the ring can hold.', (s) => s.ring.capacity);
  gaugeFromCore('picam_ring_filled_frames', 'Frames the ring holds now.', (s) => s.ring.filled);
  gaugeFromCore('picam_ring_fill_ratio', 'Filled share of the ring, 0 to 1.', (s) => (s.ring.capacity === 0 ? 0 : s.ring.filled / s.ring.capacity));
  gaugeFromCore('picam_ring_payload_bytes', 'Bytes allocated for frames in the ring.', (s) => s.ring.payloadBytes);
  gaugeFromCore('picam_ring_span_seconds', 'Seconds of video between the oldest and newest frame in the ring.', (s) => s.ring.spanS);
  gaugeFromCore('picam_events_pending', 'Events being written now.', (s) => s.eventsPending);
  gaugeFromCore('picam_stream_subscribers', 'StreamFrames and live-page readers now.', (s) => s.streamSubscribers);
  totalFromCore('picam_stream_dropped_frames_total', 'Frames skipped for stream readers slower than capture.', (s) => s.streamDropped, false);
  totalFromCore('picam_stream_encodes_total', 'Frame encodes for streaming (one per frame and output shape, shared by readers).', (s) => s.streamEncodes, false);

  new Gauge({
    name: 'picam_dark_score',
    help: 'Mean luma (0-255) of the latest scored frame; normalised = as if at day exposure and gain.',
    labelNames: ['kind'],
    registers,
    collect() {
      const night = core.nightState();
      this.set({ kind: 'raw' }, night.darkScore);
      this.set({ kind: 'normalised' }, night.normalizedScore);
    },
  });
  new Gauge({
    name: 'picam_night',
    help: '1 while night exposure is in force, else 0.',
    registers,
    collect() {
      this.set(core.nightState().night ? 1 : 0);
    },
  });
  new Counter({
    name: 'picam_night_transitions_total',
    help: 'Switches between day and night since start.',
    registers,
    collect() {
      this.reset();
      this.inc(core.nightState().transitions);
    },
  });
  new Gauge({
    name: 'picam_line_connections',
    help: 'Line-protocol connections open now.',
    registers,
    collect() {
      this.set(adapters.lineConnections());
    },
  });
  new Counter({
    name: 'picam_line_connections_total',
    help: 'Line-protocol connections accepted since start.',
    registers,
    collect() {
      this.reset();
      this.inc(adapters.lineAccepted());
    },
  });
  new Gauge({
    name: 'picam_live_viewers',
    help: 'Browsers watching the live picture now.',
    registers,
    collect() {
      this.set(adapters.liveViewers());
    },
  });

  const finished = new Counter({ name: 'picam_events_total', help: 'Events finished since start, by final state.', labelNames: ['state'], registers });
  for (const state of ['complete', 'partial', 'failed']) finished.inc({ state }, 0);
  const duration = new Histogram({
    name: 'picam_export_duration_seconds',
    help: 'Trigger accepted to event.json written, by final state.',
    labelNames: ['state'],
    buckets: EXPORT_BUCKETS_S,
    registers,
  });
  const started = new Map<string, number>();
  const unsubscribe = core.subscribe((event) => {
    if (event.kind !== 'event') return;
    const { eventId, state } = event.progress;
    if (state === 'pending') {
      started.set(eventId, performance.now());
      return;
    }
    finished.inc({ state });
    const t0 = started.get(eventId);
    started.delete(eventId);
    if (t0 !== undefined) duration.observe({ state }, (performance.now() - t0) / 1000);
  });
  return { registry, close: unsubscribe };
}
