import type { CaptureInfo, FrameMeta } from '../frame.js';

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
 * Two layouts: fixed slots of `slotBytes` (raw frames, all one size), or
 * packed (`packedBytes`): frames of varying size (JPEG) back to back in one
 * region, the oldest evicted by bytes. A packed writer is handed `slotBytes`
 * (the largest frame accepted) at the write head; every frame overlapping
 * that span leaves the ring before the writer gets it, so the guarantees
 * below hold for both layouts.
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
  /** Packed layout: the one region, and where each frame starts in it. */
  private readonly region: Buffer | undefined;
  private readonly offsets: Float64Array;
  private head = 0;
  private heldBytes = 0;
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

  /**
   * `capacity` frames of `slotBytes` each; with `packedBytes`, one region of
   * that size holding up to `capacity` frames of up to `slotBytes` each.
   */
  constructor(capacity: number, slotBytes: number, packedBytes?: number) {
    if (packedBytes !== undefined && packedBytes < 2 * slotBytes) {
      throw new RangeError(`a packed ring of ${packedBytes} bytes cannot hold two frames of up to ${slotBytes} bytes`);
    }
    this.capacity = capacity;
    this.slotBytes = slotBytes;
    this.region = packedBytes === undefined ? undefined : Buffer.allocUnsafeSlow(packedBytes);
    this.slots = this.region ? [] : Array.from({ length: capacity }, () => Buffer.allocUnsafeSlow(slotBytes));
    this.offsets = new Float64Array(this.region ? capacity : 0);
    this.lengths = new Uint32Array(capacity);
    this.timestamps = new Float64Array(capacity);
    this.monotonic = new Float64Array(capacity);
    this.darkScores = new Float64Array(capacity);
    this.exposures = new Float64Array(capacity);
    this.gains = new Float64Array(capacity);
    this.nights = new Uint8Array(capacity);
  }

  get payloadBytes(): number {
    return this.region ? this.region.length : this.capacity * this.slotBytes;
  }

  /** True when frames are packed by size (JPEG) rather than held in fixed slots. */
  get packed(): boolean {
    return this.region !== undefined;
  }

  /** Bytes of the frames held now. */
  get bytesHeld(): number {
    return this.region ? this.heldBytes : this.count * this.slotBytes;
  }

  /** Frames the ring holds when full, at the mean size of the frames held now (all slots for fixed slots). */
  get framesAtCurrentSize(): number {
    if (!this.region) return this.capacity;
    if (this.count === 0) return 0;
    return Math.min(this.capacity, Math.floor((this.region.length - this.slotBytes) / (this.heldBytes / this.count)));
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
    if (this.region) return this.acquirePacked(this.region);
    if (!this.acquired) {
      if (this.count === this.capacity) this.count--;
      this.acquired = true;
    }
    return this.slots[this.nextId % this.capacity]!;
  }

  /**
   * `slotBytes` at the write head (back at 0 when the tail of the region is too
   * short). Frames are laid out oldest to newest from the head onwards, wrapping,
   * so evicting from the oldest end frees the span without leaving a gap in ids.
   */
  private acquirePacked(region: Buffer): Buffer {
    if (!this.acquired) {
      const plan = this.planPacked(region);
      for (let i = 0; i < plan.evict; i++) this.evictOldest();
      this.head = plan.head;
      this.acquired = true;
    }
    return region.subarray(this.head, this.head + this.slotBytes);
  }

  /**
   * Like acquire, but only if no frame with id >= `keepFrom` would leave the ring;
   * else undefined and nothing evicted. A reader that must not be lapped (an
   * export) pins frames this way in a ring whose writer may skip instead of wait.
   */
  tryAcquire(keepFrom: number): Buffer | undefined {
    if (!this.region || this.acquired) return this.acquire();
    const plan = this.planPacked(this.region);
    if (plan.evict > 0 && this.oldestId + plan.evict - 1 >= keepFrom) return undefined;
    return this.acquire();
  }

  /** How many of the oldest frames must go for `slotBytes` at the head, and where the head ends up. */
  private planPacked(region: Buffer): { evict: number; head: number } {
    let evict = this.count === this.capacity ? 1 : 0;
    let head = this.head;
    const at = (n: number): number => (this.oldestId + n) % this.capacity;
    if (head + this.slotBytes > region.length) {
      // Wrapping: the frames past the old head are the oldest; they go first.
      while (evict < this.count && this.offsets[at(evict)]! >= head) evict++;
      head = 0;
    }
    const end = head + this.slotBytes;
    while (evict < this.count) {
      const start = this.offsets[at(evict)]!;
      if (start < end && start + this.lengths[at(evict)]! > head) evict++;
      else break;
    }
    return { evict, head };
  }

  private evictOldest(): void {
    if (this.region) this.heldBytes -= this.lengths[this.oldestId % this.capacity]!;
    this.count--;
  }

  /** Publishes the acquired slot's first `length` bytes as the next frame; returns its id. */
  commit(length: number, fields: FrameFields): number {
    if (!this.acquired) throw new Error('commit without acquire');
    if (length > this.slotBytes) throw new RangeError(`frame of ${length} bytes does not fit a ${this.slotBytes}-byte slot`);
    const id = this.nextId++;
    const slot = id % this.capacity;
    this.acquired = false;
    this.lengths[slot] = length;
    if (this.region) {
      this.offsets[slot] = this.head;
      this.head += length;
      this.heldBytes += length;
    }
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
    if (this.region) {
      const start = this.offsets[slot]!;
      return { meta: this.metaOf(id, slot), data: this.region.subarray(start, start + length) };
    }
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
