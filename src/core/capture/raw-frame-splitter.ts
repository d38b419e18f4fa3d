import type { FrameSink } from './frame-source.js';

/**
 * Cuts a byte stream of fixed-size raw frames into frames. The pipe reader
 * asks `target()` where to put the next bytes and gets the unfilled rest of
 * the current ring slot, so the kernel writes frames straight into the ring.
 */
export class RawFrameSplitter {
  private slot: Buffer | undefined;
  private filled = 0;

  constructor(
    private readonly frameBytes: number,
    private readonly sink: FrameSink,
    private readonly complete: () => void,
  ) {}

  /** Forgets a half-received frame (the process restarted). */
  reset(): void {
    this.filled = 0;
  }

  /** Where the next bytes go: the rest of the current frame's slot. */
  target(): Buffer {
    if (this.filled === 0 || this.slot === undefined) this.slot = this.sink.acquire();
    return this.slot.subarray(this.filled, this.frameBytes);
  }

  /** `n` bytes were written at `target()`. */
  written(n: number): void {
    this.filled += n;
    if (this.filled === this.frameBytes) {
      this.filled = 0;
      this.complete();
    }
  }

  /** Same as reading into target(), for data already in memory. */
  write(chunk: Buffer): void {
    for (let offset = 0; offset < chunk.length; ) {
      const target = this.target();
      const n = chunk.copy(target, 0, offset);
      offset += n;
      this.written(n);
    }
  }
}
