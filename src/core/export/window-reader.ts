import type { FrameMeta } from '../frame.js';
import type { CompressedTier } from '../ring/compressed-tier.js';
import type { RingBuffer } from '../ring/ring-buffer.js';
import type { BufferReservation } from './export-buffer.js';
import type { FramePool } from './frame-pool.js';
import type { MissingFrames } from './manifest.js';

/** One frame of the window, copied out of the ring (or tier): the reader's to give, the caller's to release. */
export interface WindowFrame {
  kind: 'frame';
  meta: FrameMeta;
  /** The frame's bytes as held: the source's native format, or a JPEG from the tier. Shared memory. */
  data: Buffer;
  /** True when it came from the compressed tier (a JPEG), not the raw ring. */
  fromTier: boolean;
  /** Gives the buffer back; call once every reader of `data` is done. */
  release: () => void;
}

export type WindowItem = WindowFrame | { kind: 'missing'; range: MissingFrames };

export interface WindowSpec {
  /** First frame id of the window (the oldest in the raw ring or the tier at or after its start). */
  firstId: number;
  startMono: number;
  endMono: number;
  /** How long past the window's end to wait for a frame before giving up on the source. */
  stallMs: number;
  /** The clock frames' monotonic times are on (the core's clock). */
  monotonicNow: () => number;
}

/**
 * Frames within this many largest-frame writes of eviction are copied out:
 * the reader copies after every commit, but a source may acquire the next
 * slot before the reader runs (a pipe chunk holding the end of one frame and
 * the start of the next), and a packed ring evicts by bytes.
 */
const RESCUE_WRITES = 4;
/** Plus one pipe read's worth, for packed rings of small JPEGs (many frames to a 64 KB chunk). */
const RESCUE_SLACK_BYTES = 1 << 20;

/**
 * Walks an event's window in id order and hands out each frame, copied, with
 * the gaps between as `missing`. It reads frames from the raw ring as the
 * export reaches them (into pool buffers), from the compressed tier when the
 * raw ring no longer holds them (pinned, so the tier keeps them), and, when
 * the export falls behind, it copies every window frame about to leave the
 * raw ring out of it first, raw bytes as captured (I420 stays I420), into
 * the event's BufferReservation. That copy runs after every frame the ring
 * commits, so a frame of the window is never overwritten before it is saved.
 */
export class WindowReader {
  private nextId: number;
  /** Frames copied out before the ring overwrote them, in id order (Map keeps insertion order). */
  private readonly rescued = new Map<number, { meta: FrameMeta; data: Buffer }>();
  /** Ids that should have been rescued but did not fit the reservation (packed frames bigger than reckoned). */
  private readonly unaffordable = new Set<number>();
  private stopped = false;
  /** The window's last frame id, once a frame past the window's end has been seen. */
  private lastWindowId = Infinity;
  private unpin: (() => void) | undefined;
  private copies = 0;
  /** Frames the ring had dropped before the trigger, when the window reaches back past its oldest frame. */
  private readonly early: MissingFrames | undefined;

  constructor(
    private readonly ring: RingBuffer,
    private readonly tier: CompressedTier | undefined,
    private readonly window: WindowSpec,
    private readonly pool: FramePool,
    private readonly reservation: BufferReservation,
    private readonly signal: AbortSignal,
  ) {
    this.nextId = window.firstId;
    // Judged on the ring as the trigger found it: by the time items() runs a small ring may have lapped, and its
    // oldest frame then postdates the window's start without any frame of the window being lost (they were rescued).
    this.early = this.lostBeforeStart();
    // The reading point in the tier is pinned: the tier skips encodes rather than evict what we have yet to save.
    this.unpin = tier?.pin(this.nextId);
    this.rescue();
    void this.watch();
  }

  /** Id of the next frame the reader would hand out. */
  get position(): number {
    return this.nextId;
  }

  /** Frames copied out of the raw ring ahead of the export so far. */
  get rescuedCount(): number {
    return this.copies;
  }

  /** Frames and gaps of the window in id order; ends at the window's end, on abort, or when the source stalls. */
  async *items(): AsyncGenerator<WindowItem> {
    const { ring, tier, window } = this;
    try {
      if (this.early) yield { kind: 'missing', range: this.early };
      while (!this.signal.aborted && this.nextId <= this.lastWindowId) {
        const rescued = this.rescued.get(this.nextId);
        if (rescued) {
          if (rescued.meta.monotonicMs > window.endMono) break;
          this.rescued.delete(this.nextId);
          yield this.frame(rescued.meta, rescued.data, false, () => this.reservation.give(rescued.data.length));
          continue;
        }
        if (this.nextId > ring.newestId) {
          if (await this.waitForFrame()) continue;
          if (!this.signal.aborted) yield { kind: 'missing', range: { first_id: this.nextId, last_id: this.nextId, reason: 'no frames from the source' } };
          break;
        }
        let fromTier = false;
        if (this.nextId < ring.oldestId) {
          const next = this.nextHeld();
          if (next > this.nextId) {
            yield { kind: 'missing', range: { first_id: this.nextId, last_id: Math.min(next - 1, this.lastWindowId), reason: this.gapReason() } };
            this.advance(next);
            continue;
          }
          fromTier = true;
        }
        const peek = fromTier ? tier?.monotonicOf(this.nextId) : ring.monotonicOf(this.nextId);
        if (peek === undefined) continue;
        if (peek > window.endMono) break;
        const pooled = await this.pool.acquire();
        // Capture went on while we waited for a buffer: the frame may have been rescued, or (tier) gone.
        const frame = this.rescued.has(this.nextId) ? undefined : fromTier ? tier?.get(this.nextId) : ring.get(this.nextId);
        if (!frame || this.signal.aborted) {
          this.pool.release(pooled);
          continue;
        }
        // Copied out in one synchronous step: the slot may be reused while the sinks work.
        frame.data.copy(pooled);
        yield this.frame({ ...frame.meta }, pooled.subarray(0, frame.data.length), fromTier, () => this.pool.release(pooled));
      }
    } finally {
      this.stop();
    }
  }

  /**
   * The frames of the window not handed out, for an event cut short (cancelled,
   * shutdown): from the reading point to the window's last frame captured so far.
   */
  remaining(reason: string): MissingFrames {
    const last = this.ring.firstAtOrAfter(this.window.endMono, 'monotonic') - 1;
    return { first_id: this.nextId, last_id: Math.max(this.nextId, last), reason };
  }

  private frame(meta: FrameMeta, data: Buffer, fromTier: boolean, release: () => void): WindowFrame {
    this.advance(this.nextId + 1);
    let released = false;
    return {
      kind: 'frame',
      meta,
      data,
      fromTier,
      release: () => {
        if (released) return;
        released = true;
        release();
      },
    };
  }

  private advance(to: number): void {
    this.nextId = to;
    if (this.unpin && this.tier) this.unpin = this.tier.movePin(this.unpin, to);
  }

  /** The first id at or after the reading point that something holds: a rescued copy, the tier, or the raw ring. */
  private nextHeld(): number {
    let next = this.ring.oldestId;
    const held = this.tier?.heldAtOrAfter(this.nextId);
    if (held !== undefined && held < next) next = held;
    for (const id of this.rescued.keys()) {
      if (id < next) next = id;
      break;
    }
    return next;
  }

  private gapReason(): string {
    const { tier } = this;
    if (this.unaffordable.has(this.nextId)) return 'did not fit the export.max_buffer_bytes reserved for the window (frames larger than reckoned at the trigger)';
    if (!tier) return 'overwritten in the ring before it was saved';
    if (this.nextId < tier.oldestRawId || tier.size === 0) return 'overwritten in the compressed tier before it was saved';
    return 'skipped by the compressed tier before the trigger (its encoder fell behind, or an export held its space)';
  }

  /** Frames existed before the oldest one held, but the ring had already dropped them when the trigger came. */
  private lostBeforeStart(): MissingFrames | undefined {
    const { ring, tier } = this;
    const oldestHeld = tier && tier.size > 0 && tier.oldestRawId < ring.oldestId ? tier.oldestRawId : ring.oldestId;
    const oldestMono = oldestHeld === ring.oldestId ? ring.monotonicOf(oldestHeld) : tier?.monotonicOf(oldestHeld);
    if (oldestHeld <= 1 || oldestMono === undefined || oldestMono <= this.window.startMono) return undefined;
    const lostS = ((oldestMono - this.window.startMono) / 1000).toFixed(2);
    return {
      first_id: oldestHeld - 1,
      last_id: oldestHeld - 1,
      reason: `window starts ${lostS} s before the oldest frame in the ring (ring too small for the before window)`,
    };
  }

  /** Copies out every window frame near the ring's eviction end that the export has not reached. */
  private rescue(): void {
    const { ring } = this;
    if (this.stopped || ring.size === 0) return;
    const reach = RESCUE_WRITES * ring.slotBytes + RESCUE_SLACK_BYTES;
    // Bytes from the ring's eviction end up to and including frame `id`.
    let bytes = 0;
    for (let id = ring.oldestId; id <= ring.newestId && bytes < reach; id++) {
      const frame = ring.get(id)!;
      bytes += ring.packed ? frame.data.length : ring.slotBytes;
      if (id < this.nextId) continue;
      if (frame.meta.monotonicMs > this.window.endMono) {
        // Frames past the window are not the export's: once they go, their gap is not the window's either.
        this.lastWindowId = Math.min(this.lastWindowId, id - 1);
        break;
      }
      if (this.rescued.has(id) || this.unaffordable.has(id)) continue;
      if (!this.reservation.take(frame.data.length)) {
        this.unaffordable.add(id);
        continue;
      }
      const copy = Buffer.from(new SharedArrayBuffer(frame.data.length));
      frame.data.copy(copy);
      this.rescued.set(id, { meta: { ...frame.meta }, data: copy });
      this.copies++;
    }
  }

  /** Rescues after every commit until the reader stops. */
  private async watch(): Promise<void> {
    while (!this.stopped) {
      await this.ring.nextFrame();
      this.rescue();
    }
  }

  /** Stops reading and gives back what was copied (an event that never started). */
  close(): void {
    this.stop();
  }

  private stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.unpin?.();
    this.unpin = undefined;
    for (const { data } of this.rescued.values()) this.reservation.give(data.length);
    this.rescued.clear();
  }

  /** True when a new frame arrived; false on abort or when the stall deadline passes first. */
  private async waitForFrame(): Promise<boolean> {
    const remaining = this.window.endMono + this.window.stallMs - this.window.monotonicNow();
    if (remaining <= 0 || this.signal.aborted) return false;
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const stop = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), remaining);
      onAbort = () => resolve(false);
      this.signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([this.ring.nextFrame().then(() => true), stop]);
    } finally {
      clearTimeout(timer);
      if (onAbort) this.signal.removeEventListener('abort', onAbort);
    }
  }
}
