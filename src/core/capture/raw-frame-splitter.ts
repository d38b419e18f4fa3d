import type { FrameSink } from './frame-source.js';

/**
 * Cuts a byte stream of fixed-size raw frames into frames, copying each chunk
 * straight into the ring slot (the only copy a frame gets).
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

  write(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.filled === 0 || this.slot === undefined) this.slot = this.sink.acquire();
      const take = Math.min(this.frameBytes - this.filled, chunk.length - offset);
      chunk.copy(this.slot, this.filled, offset, offset + take);
      this.filled += take;
      offset += take;
      if (this.filled === this.frameBytes) {
        this.filled = 0;
        this.complete();
      }
    }
  }
}
