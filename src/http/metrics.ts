import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { eachEvent, type Picam, type PicamStatus } from '../core/index.js';

/** Figures that live in the adapters rather than the core. */
export interface AdapterGauges {
  /** Line-protocol connections open now. */
  lineConnections: () => number;
  /** Line-protocol connections accepted since start. */
  lineAccepted: () => number;
  /** Browsers watching the live picture now. */
  liveViewers: () => number;
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

  /**
   * A metric whose value is read at scrape time: a total kept by the core (counter) or a level
   * (gauge). `read` gives one value, or one per label value of `label`.
   */
  const scraped = (
    type: 'counter' | 'gauge',
    name: string,
    help: string,
    read: () => number | Record<string, number>,
    label?: string,
  ): void => {
    const Metric = type === 'counter' ? Counter : Gauge;
    new Metric({
      name,
      help,
      labelNames: label ? [label] : [],
      registers,
      collect() {
        const value = read();
        this.reset();
        // Counter.inc from zero after a reset sets the core's running total; Gauge.set sets a level.
        const put = (labels: Record<string, string>, v: number): void => (this instanceof Counter ? this.inc(labels, v) : (this).set(labels, v));
        if (typeof value === 'number') put({}, value);
        else for (const [key, v] of Object.entries(value)) put({ [label!]: key }, v);
      },
    });
  };
  const bySource = (read: (s: PicamStatus) => number) => (): Record<string, number> => {
    const s = status();
    return { [s.source.kind]: read(s) };
  };
  const fromStatus = (read: (s: PicamStatus) => number) => (): number => read(status());

  scraped('counter', 'picam_frames_captured_total', 'Frames taken into the ring since start.', bySource((s) => s.source.framesCaptured), 'source');
  scraped('counter', 'picam_frames_dropped_total', 'Frames the source produced that could not be taken in.', bySource((s) => s.source.framesDropped), 'source');
  scraped('counter', 'picam_source_restarts_total', 'Times the camera tool was restarted after exiting or stalling.', bySource((s) => s.source.restarts), 'source');
  scraped('gauge', 'picam_capture_fps', 'Frame rate measured over the last seconds.', bySource((s) => s.source.framesPerSecond), 'source');
  scraped('gauge', 'picam_source_up', '1 while frames are flowing (gRPC health SERVING), else 0.', bySource((s) => (s.serving ? 1 : 0)), 'source');
  scraped('gauge', 'picam_ring_capacity_frames', 'Frames the ring can hold.', fromStatus((s) => s.ring.capacity));
  scraped('gauge', 'picam_ring_filled_frames', 'Frames the ring holds now.', fromStatus((s) => s.ring.filled));
  scraped('gauge', 'picam_ring_fill_ratio', 'Filled share of the ring, 0 to 1.', fromStatus((s) => (s.ring.capacity === 0 ? 0 : s.ring.filled / s.ring.capacity)));
  scraped('gauge', 'picam_ring_payload_bytes', 'Bytes allocated for frames in the ring.', fromStatus((s) => s.ring.payloadBytes));
  scraped('gauge', 'picam_ring_bytes_held', 'Bytes of the frames the ring holds now.', fromStatus((s) => s.ring.bytesHeld));
  scraped('gauge', 'picam_ring_capacity_seconds', 'Seconds the ring holds when full (packed JPEG ring: at the mean size of the frames held now).', fromStatus((s) => s.ring.capacityS));
  scraped('gauge', 'picam_compressed_tier_span_seconds', 'Seconds of video the compressed tier holds now (0 when off).', fromStatus((s) => s.ring.compressed?.spanS ?? 0));
  scraped('gauge', 'picam_compressed_tier_bytes_held', 'Bytes of JPEG frames the compressed tier holds now.', fromStatus((s) => s.ring.compressed?.bytesHeld ?? 0));
  scraped('counter', 'picam_compressed_tier_encoded_total', 'Frames encoded into the compressed tier since start.', fromStatus((s) => s.ring.compressed?.encoded ?? 0));
  scraped('counter', 'picam_compressed_tier_skipped_total', 'Frames the compressed tier skipped since start (encoder behind, or an export held its space).', fromStatus((s) => s.ring.compressed?.skipped ?? 0));
  scraped('gauge', 'picam_ring_span_seconds', 'Seconds of video between the oldest and newest frame in the ring.', fromStatus((s) => s.ring.spanS));
  scraped('gauge', 'picam_events_pending', 'Events being written now.', fromStatus((s) => s.eventsPending));
  scraped('gauge', 'picam_stream_subscribers', 'StreamFrames and live-page readers now.', fromStatus((s) => s.streamSubscribers));
  scraped('counter', 'picam_stream_dropped_frames_total', 'Frames skipped for stream readers slower than capture.', fromStatus((s) => s.streamDropped));
  scraped('counter', 'picam_core_events_dropped_total', 'Core events (night, event progress) dropped for subscribers 256 behind (WatchEvents, MQTT).', fromStatus((s) => s.eventsDropped));
  // Per reader, labelled "<transport> <peer> #<id>" (one HTTP/2 connection may carry several streams); a reader that left disappears.
  const byReader = (read: (r: PicamStatus['streamReaders'][number]) => number) => (): Record<string, number> =>
    Object.fromEntries(status().streamReaders.map((r) => [`${r.transport} ${r.peer} #${r.id}`, read(r)]));
  scraped('gauge', 'picam_stream_reader_frames_in_flight', 'Frames sent to a stream reader whose arrival it has not confirmed yet (its queue depth; at most 2).', byReader((r) => r.framesInFlight), 'reader');
  scraped('gauge', 'picam_stream_reader_bytes_in_flight', 'Payload bytes of those frames.', byReader((r) => r.bytesInFlight), 'reader');
  scraped('counter', 'picam_stream_encodes_total', 'Frame encodes for streaming (one per frame and output shape, shared by readers).', fromStatus((s) => s.streamEncodes));
  scraped('gauge', 'picam_dark_score', 'Mean luma (0-255) of the latest scored frame; normalised = as if at day exposure and gain.', () => {
    const night = core.nightState();
    return { raw: night.darkScore, normalised: night.normalizedScore };
  }, 'kind');
  scraped('gauge', 'picam_night', '1 while night exposure is in force, else 0.', () => (core.nightState().night ? 1 : 0));
  scraped('counter', 'picam_night_transitions_total', 'Switches between day and night since start.', () => core.nightState().transitions);
  scraped('gauge', 'picam_line_connections', 'Line-protocol connections open now.', adapters.lineConnections);
  scraped('counter', 'picam_line_connections_total', 'Line-protocol connections accepted since start.', adapters.lineAccepted);
  scraped('gauge', 'picam_live_viewers', 'Browsers watching the live picture now.', adapters.liveViewers);

  const finished = new Counter({ name: 'picam_events_total', help: 'Events finished since start, by final state.', labelNames: ['state'], registers });
  for (const state of ['complete', 'partial', 'failed', 'cancelled']) finished.inc({ state }, 0);
  const duration = new Histogram({
    name: 'picam_export_duration_seconds',
    help: 'Trigger accepted to event.json written, by final state.',
    labelNames: ['state'],
    buckets: EXPORT_BUCKETS_S,
    registers,
  });
  const started = new Map<string, number>();
  const stopEvents = new AbortController();
  void eachEvent(core.events(stopEvents.signal), (event) => {
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
  }, () => undefined); // the handler only counts: nothing in it throws
  return { registry, close: () => stopEvents.abort() };
}
