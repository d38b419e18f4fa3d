import type { FrameSink } from './frame-source.js';
import { isPadded, unpadI420, type I420Layout } from './frame-layout.js';

/**
 * Cuts a byte stream of fixed-size raw frames into frames. The pipe reader
 * asks `target()` where to put the next bytes and gets the unfilled rest of
 * the current ring slot, so the kernel writes frames straight into the ring.
 *
 * Frames whose rows are padded on the wire (rpicam-vid's I420 at the ISP
 * stride) are read whole into one scratch buffer, allocated once, and their
 * picture rows copied into the slot: the ring keeps them unpadded.
 */
export class RawFrameSplitter {
  private slot: Buffer | undefined;
  private filled = 0;
  private readonly wireBytes: number;
  private readonly scratch: Buffer | undefined;

  constructor(
    private readonly frameBytes: number,
    private readonly sink: FrameSink,
    private readonly complete: () => void,
    private readonly layout?: I420Layout,
  ) {
    const padded = layout !== undefined && isPadded(layout);
    this.wireBytes = padded ? layout.wireBytes : frameBytes;
    this.scratch = padded ? Buffer.allocUnsafe(layout.wireBytes) : undefined;
  }

  /** Forgets a half-received frame (the process restarted). */
  reset(): void {
    this.filled = 0;
  }

  /** Where the next bytes go: the rest of the current frame's slot (or of the scratch frame). */
  target(): Buffer {
    if (this.scratch) return this.scratch.subarray(this.filled, this.wireBytes);
    if (this.filled === 0 || this.slot === undefined) this.slot = this.sink.acquire();
    return this.slot.subarray(this.filled, this.frameBytes);
  }

  /** `n` bytes were written at `target()`. */
  written(n: number): void {
    this.filled += n;
    if (this.filled === this.wireBytes) {
      this.filled = 0;
      if (this.scratch) unpadI420(this.scratch, this.layout!, this.sink.acquire());
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
