/** One sample a second for an hour: what the live page's timeline and `GET /api/history` show. */
export const HISTORY_SECONDS = 3600;
export const HISTORY_INTERVAL_MS = 1000;

/** What the service looked like at one moment; counters are per interval, since the previous sample. */
export interface HistorySample {
  timeMs: number;
  darkScore: number;
  normalizedScore: number;
  night: boolean;
  exposureUs: number;
  gain: number;
  fps: number;
  /** Frames the source produced that could not be taken into the ring, this interval. */
  dropped: number;
  /** Frames skipped for stream readers slower than capture, this interval. */
  streamDropped: number;
  subscribers: number;
  /** Events triggered this interval. */
  events: number;
}

/** A day/night switch, at its exact time (samples are a second apart). */
export interface HistoryTransition {
  timeMs: number;
  night: boolean;
  frameId: number;
  darkScore: number;
  normalizedScore: number;
  reason: string;
}

/** An event, at its trigger time, with its latest state. */
export interface HistoryEvent {
  timeMs: number;
  eventId: string;
  source: string;
  reason: string;
  state: string;
}

/** Samples as columns (oldest first), ready to draw or to send as JSON. */
export interface HistoryWindow {
  intervalMs: number;
  capacity: number;
  samples: { [K in keyof HistorySample]: number[] };
  transitions: HistoryTransition[];
  events: HistoryEvent[];
}

const COLUMNS = ['timeMs', 'darkScore', 'normalizedScore', 'night', 'exposureUs', 'gain', 'fps', 'dropped', 'streamDropped', 'subscribers', 'events'] as const;

/**
 * A bounded in-memory history. Samples live in typed arrays allocated once
 * (about 50 bytes a sample: 180 KB for an hour), written in a circle, so
 * recording costs no allocation; markers (transitions, events) are rare and
 * kept in arrays capped at the same count, pruned as samples age out.
 */
export class History {
  private readonly columns: Record<(typeof COLUMNS)[number], Float64Array | Float32Array | Uint32Array | Uint8Array>;
  private next = 0;
  private count = 0;
  private readonly transitions: HistoryTransition[] = [];
  private readonly events: HistoryEvent[] = [];

  constructor(readonly capacity: number = HISTORY_SECONDS) {
    this.columns = {
      timeMs: new Float64Array(capacity),
      darkScore: new Float32Array(capacity),
      normalizedScore: new Float32Array(capacity),
      night: new Uint8Array(capacity),
      exposureUs: new Uint32Array(capacity),
      gain: new Float32Array(capacity),
      fps: new Float32Array(capacity),
      dropped: new Uint32Array(capacity),
      streamDropped: new Uint32Array(capacity),
      subscribers: new Uint32Array(capacity),
      events: new Uint32Array(capacity),
    };
  }

  get size(): number {
    return this.count;
  }

  record(sample: HistorySample): void {
    const i = this.next;
    for (const key of COLUMNS) {
      const value = sample[key];
      this.columns[key][i] = typeof value === 'boolean' ? (value ? 1 : 0) : value;
    }
    this.next = (i + 1) % this.capacity;
    this.count = Math.min(this.count + 1, this.capacity);
    this.prune();
  }

  markTransition(transition: HistoryTransition): void {
    this.transitions.push(transition);
    this.prune();
  }

  markEvent(event: HistoryEvent): void {
    this.events.push(event);
    this.prune();
  }

  /** A finished event's state; unknown ids (aged out) are ignored. */
  updateEvent(eventId: string, state: string): void {
    for (let i = this.events.length - 1; i >= 0; i--) {
      if (this.events[i]!.eventId === eventId) {
        this.events[i]!.state = state;
        return;
      }
    }
  }

  /**
   * The newest `count` samples, oldest first, and the markers from the first
   * of them on. Chosen by count, not by wall-clock time: a Pi without a
   * real-time clock can step its clock by years when NTP syncs.
   */
  latest(count: number): HistoryWindow {
    const samples = Object.fromEntries(COLUMNS.map((key) => [key, [] as number[]])) as HistoryWindow['samples'];
    const n = Math.max(0, Math.min(this.count, Math.floor(count)));
    const first = (this.next - n + this.capacity) % this.capacity;
    for (let k = 0; k < n; k++) {
      const i = (first + k) % this.capacity;
      for (const key of COLUMNS) samples[key].push(this.columns[key][i]!);
    }
    const fromMs = n > 0 ? samples.timeMs[0]! : Infinity;
    return {
      intervalMs: HISTORY_INTERVAL_MS,
      capacity: this.capacity,
      samples,
      transitions: this.transitions.filter((t) => t.timeMs >= fromMs).map((t) => ({ ...t })),
      events: this.events.filter((e) => e.timeMs >= fromMs).map((e) => ({ ...e })),
    };
  }

  /** Markers older than the oldest sample, or beyond the cap, go. */
  private prune(): void {
    const oldestMs = this.count === this.capacity ? this.columns.timeMs[this.next]! : -Infinity;
    for (const list of [this.transitions, this.events] as HistoryTransition[][] | HistoryEvent[][]) {
      let drop = 0;
      while (drop < list.length && (list.length - drop > this.capacity || list[drop]!.timeMs < oldestMs)) drop++;
      if (drop > 0) list.splice(0, drop);
    }
  }
}
