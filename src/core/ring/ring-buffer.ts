import type { CaptureInfo, FrameMeta } from '../capture/frame.js';

/** A frame held in the ring. `data` is a view of the ring's slot: copy it before awaiting. */
export interface RingFrame {
  meta: FrameMeta;
  data: Buffer;
}

export type FrameFields = CaptureInfo & { darkScore: number; night: boolean };

/**
 * The most recent frames with their metadata. Every slot and every metadata
 * column is allocated up front, so steady-state capture allocates nothing.
 *
 * Writers fill a slot in place (a pipe reader copies each chunk straight into
 * it) and then commit it. Readers never see a frame change under them: the
 * frame in a slot is evicted the moment a writer acquires that slot, before
 * any byte is overwritten, and a reader copies a frame out in one synchronous
 * step. A reader that falls a lap behind finds its frame gone (`get` returns
 * undefined) and counts it as dropped; it never gets torn pixels.
 */
export class RingBuffer {
  readonly capacity: number;
  readonly slotBytes: number;
  private readonly slots: Buffer[];
  private readonly lengths: Uint32Array;
  private readonly timestamps: Float64Array;
  private readonly monotonic: Float64Array;
  private readonly darkScores: Float64Array;
  private readonly exposures: Float64Array;
  private readonly gains: Float64Array;
  private readonly nights: Uint8Array;
  private nextId = 1;
  private count = 0;
  private acquired = false;
  private waiters: Array<(id: number) => void> = [];

  constructor(capacity: number, slotBytes: number) {
    this.capacity = capacity;
    this.slotBytes = slotBytes;
    this.slots = Array.from({ length: capacity }, () => Buffer.allocUnsafeSlow(slotBytes));
    this.lengths = new Uint32Array(capacity);
    this.timestamps = new Float64Array(capacity);
    this.monotonic = new Float64Array(capacity);
    this.darkScores = new Float64Array(capacity);
    this.exposures = new Float64Array(capacity);
    this.gains = new Float64Array(capacity);
    this.nights = new Uint8Array(capacity);
  }

  get payloadBytes(): number {
    return this.capacity * this.slotBytes;
  }

  get size(): number {
    return this.count;
  }

  /** Id of the newest frame, 0 when empty. */
  get newestId(): number {
    return this.count === 0 ? 0 : this.nextId - 1;
  }

  /** Id of the oldest frame still held, 0 when empty. */
  get oldestId(): number {
    return this.count === 0 ? 0 : this.nextId - this.count;
  }

  /**
   * The slot the next frame goes into. Its previous frame leaves the ring now,
   * so no reader can see it half overwritten.
   */
  acquire(): Buffer {
    if (!this.acquired) {
      if (this.count === this.capacity) this.count--;
      this.acquired = true;
    }
    return this.slots[this.nextId % this.capacity]!;
  }

  /** Publishes the acquired slot's first `length` bytes as the next frame; returns its id. */
  commit(length: number, fields: FrameFields): number {
    if (!this.acquired) throw new Error('commit without acquire');
    if (length > this.slotBytes) throw new RangeError(`frame of ${length} bytes does not fit a ${this.slotBytes}-byte slot`);
    const id = this.nextId++;
    const slot = id % this.capacity;
    this.acquired = false;
    this.lengths[slot] = length;
    this.timestamps[slot] = fields.timestampMs;
    this.monotonic[slot] = fields.monotonicMs;
    this.darkScores[slot] = fields.darkScore;
    this.exposures[slot] = fields.exposureUs;
    this.gains[slot] = fields.gain;
    this.nights[slot] = fields.night ? 1 : 0;
    this.count++;
    if (this.waiters.length > 0) {
      const waiters = this.waiters;
      this.waiters = [];
      for (const wake of waiters) wake(id);
    }
    return id;
  }

  /** Copies `data` in as the next frame (for sources that render elsewhere, and tests). */
  push(data: Uint8Array, fields: FrameFields): number {
    if (data.length > this.slotBytes) throw new RangeError(`frame of ${data.length} bytes does not fit a ${this.slotBytes}-byte slot`);
    this.acquire().set(data);
    return this.commit(data.length, fields);
  }

  has(id: number): boolean {
    return this.count > 0 && id >= this.oldestId && id <= this.newestId;
  }

  get(id: number): RingFrame | undefined {
    if (!this.has(id)) return undefined;
    const slot = id % this.capacity;
    const length = this.lengths[slot]!;
    return { meta: this.metaOf(id, slot), data: this.slots[slot]!.subarray(0, length) };
  }

  /** Copies frame `id` into `target` (at least slotBytes long); returns its metadata, or undefined if gone. */
  copyOut(id: number, target: Buffer): FrameMeta | undefined {
    const frame = this.get(id);
    if (!frame) return undefined;
    frame.data.copy(target);
    return frame.meta;
  }

  /** Updates a held frame's dark score (JPEG frames are scored after they arrive). */
  setDarkScore(id: number, score: number): void {
    if (this.has(id)) this.darkScores[id % this.capacity] = score;
  }

  timestampOf(id: number): number | undefined {
    return this.has(id) ? this.timestamps[id % this.capacity] : undefined;
  }

  monotonicOf(id: number): number | undefined {
    return this.has(id) ? this.monotonic[id % this.capacity] : undefined;
  }

  /**
   * Id of the first frame captured at or after `time` on the given clock, or
   * newestId + 1 if none yet. Windows use the monotonic clock: a Pi without a
   * real-time clock may step its wall clock by years when NTP syncs.
   */
  firstAtOrAfter(time: number, clock: 'wall' | 'monotonic' = 'wall'): number {
    if (this.count === 0) return this.nextId;
    const times = clock === 'wall' ? this.timestamps : this.monotonic;
    let lo = this.oldestId;
    let hi = this.newestId + 1;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (times[mid % this.capacity]! < time) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Resolves with the id of the next frame committed. */
  nextFrame(): Promise<number> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private metaOf(id: number, slot: number): FrameMeta {
    return {
      id,
      length: this.lengths[slot]!,
      timestampMs: this.timestamps[slot]!,
      monotonicMs: this.monotonic[slot]!,
      darkScore: this.darkScores[slot]!,
      night: this.nights[slot] === 1,
      exposureUs: this.exposures[slot]!,
      gain: this.gains[slot]!,
    };
  }
}
