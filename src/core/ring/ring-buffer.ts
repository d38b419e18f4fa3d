import type { FrameMeta } from '../capture/frame.js';

/** A frame held in the ring. `data` is a view of the ring's slot: copy it before awaiting. */
export interface RingFrame {
  meta: FrameMeta;
  data: Buffer;
}

/**
 * The most recent frames with their metadata. Every slot and every metadata
 * column is allocated up front, so steady-state capture allocates nothing;
 * writes copy into the oldest slot. Frame ids are consecutive, so finding a
 * frame by id is arithmetic, and by time a binary search.
 */
export class RingBuffer {
  readonly capacity: number;
  readonly frameBytes: number;
  private readonly slots: Buffer[];
  private readonly ids: Float64Array;
  private readonly timestamps: Float64Array;
  private readonly darkScores: Float64Array;
  private readonly exposures: Float64Array;
  private readonly gains: Float64Array;
  private readonly nights: Uint8Array;
  private nextId = 1;
  private count = 0;
  private waiters: Array<(id: number) => void> = [];

  constructor(capacity: number, frameBytes: number) {
    this.capacity = capacity;
    this.frameBytes = frameBytes;
    this.slots = Array.from({ length: capacity }, () => Buffer.allocUnsafeSlow(frameBytes));
    this.ids = new Float64Array(capacity);
    this.timestamps = new Float64Array(capacity);
    this.darkScores = new Float64Array(capacity);
    this.exposures = new Float64Array(capacity);
    this.gains = new Float64Array(capacity);
    this.nights = new Uint8Array(capacity);
  }

  get payloadBytes(): number {
    return this.capacity * this.frameBytes;
  }

  get size(): number {
    return this.count;
  }

  /** Id of the newest frame, 0 when empty. */
  get newestId(): number {
    return this.nextId - 1;
  }

  /** Id of the oldest frame still held, 0 when empty. */
  get oldestId(): number {
    return this.count === 0 ? 0 : this.nextId - this.count;
  }

  /** Copies one frame in, overwriting the oldest. Returns the id it was given. */
  push(data: Buffer, meta: Omit<FrameMeta, 'id'>): number {
    if (data.length !== this.frameBytes) {
      throw new RangeError(`frame of ${data.length} bytes does not fit a ${this.frameBytes}-byte slot`);
    }
    const id = this.nextId++;
    const slot = id % this.capacity;
    data.copy(this.slots[slot]!);
    this.ids[slot] = id;
    this.timestamps[slot] = meta.timestampMs;
    this.darkScores[slot] = meta.darkScore;
    this.exposures[slot] = meta.exposureUs;
    this.gains[slot] = meta.gain;
    this.nights[slot] = meta.night ? 1 : 0;
    if (this.count < this.capacity) this.count++;
    if (this.waiters.length > 0) {
      const waiters = this.waiters;
      this.waiters = [];
      for (const wake of waiters) wake(id);
    }
    return id;
  }

  has(id: number): boolean {
    return id >= this.oldestId && id <= this.newestId && id > 0;
  }

  get(id: number): RingFrame | undefined {
    if (!this.has(id)) return undefined;
    const slot = id % this.capacity;
    return {
      meta: {
        id,
        timestampMs: this.timestamps[slot]!,
        darkScore: this.darkScores[slot]!,
        night: this.nights[slot] === 1,
        exposureUs: this.exposures[slot]!,
        gain: this.gains[slot]!,
      },
      data: this.slots[slot]!,
    };
  }

  timestampOf(id: number): number | undefined {
    return this.has(id) ? this.timestamps[id % this.capacity] : undefined;
  }

  /** Id of the first frame captured at or after `timestampMs`, or newestId + 1 if none yet. */
  firstAtOrAfter(timestampMs: number): number {
    let lo = this.oldestId;
    let hi = this.newestId + 1;
    if (this.count === 0) return this.nextId;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (this.timestamps[mid % this.capacity]! < timestampMs) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Resolves with the id of the next frame pushed. */
  nextFrame(): Promise<number> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}
