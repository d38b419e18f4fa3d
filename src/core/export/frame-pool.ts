/**
 * Reused buffers for frames copied out of the ring by exports. A fresh
 * 6.2 MB Buffer per 1080p frame cost the main thread ~6% of an export in
 * allocation (zero-fill, page faults) and more in GC; a few pooled buffers,
 * each held from copy-out until the frame's last reader (encoder, file
 * write, clip pipe, stacker) is done, cost neither. The buffers are backed by
 * SharedArrayBuffer so the pixel worker can read a frame without a copy.
 */
export class FramePool {
  private readonly free: Buffer[] = [];
  private readonly waiters: Array<(buffer: Buffer) => void> = [];
  private created = 0;

  /** `bytes`: the largest frame (the ring's slot size); `size`: buffers at most. */
  constructor(
    readonly bytes: number,
    readonly size: number,
  ) {
    if (size < 1) throw new RangeError('a frame pool needs at least one buffer');
  }

  /** Buffers made so far (they are kept for reuse). */
  get allocated(): number {
    return this.created;
  }

  /** A buffer of `bytes` bytes, waiting while all are taken. Its contents are whatever the last user left. */
  async acquire(): Promise<Buffer> {
    return this.tryAcquire() ?? new Promise((resolve) => this.waiters.push(resolve));
  }

  /** A buffer when one is free or may still be made, else undefined (no waiting). */
  tryAcquire(): Buffer | undefined {
    const ready = this.free.pop();
    if (ready) return ready;
    if (this.created >= this.size) return undefined;
    this.created++;
    return Buffer.from(new SharedArrayBuffer(this.bytes));
  }

  /** Gives a buffer from `acquire` or `tryAcquire` back; the caller must not touch it afterwards. */
  release(buffer: Buffer): void {
    const next = this.waiters.shift();
    if (next) next(buffer);
    else this.free.push(buffer);
  }
}
