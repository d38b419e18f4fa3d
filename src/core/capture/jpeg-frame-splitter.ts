import type { FrameSink } from './frame-source.js';

type State = 'soi' | 'segment' | 'entropy';

/**
 * Cuts a stream of concatenated JPEG images (MJPEG) into frames, copying
 * bytes straight into the ring slot. It walks the marker segments, so an
 * embedded EXIF thumbnail (its own SOI..EOI inside APP1) does not end a frame
 * early; in entropy-coded data 0xFF is always stuffed, so the first marker
 * that is not a restart marker ends the image.
 */
export class JpegFrameSplitter {
  private slot: Buffer | undefined;
  private length = 0;
  private pos = 0;
  private state: State = 'soi';

  /** Bytes read while looking for a frame start, before a slot is taken. */
  private readonly scratch = Buffer.allocUnsafe(64 * 1024);
  private readingIntoSlot = false;

  constructor(
    private readonly maxBytes: number,
    private readonly sink: FrameSink,
    private readonly complete: (length: number) => void,
  ) {}

  /**
   * Where the next bytes go: the free tail of the current frame's slot, so
   * JPEG bytes land in the ring with no copy; a small scratch buffer while
   * looking for the start of a frame.
   */
  target(): Buffer {
    this.readingIntoSlot = this.state !== 'soi' && this.length < this.maxBytes;
    return this.readingIntoSlot ? this.slot!.subarray(this.length) : this.scratch;
  }

  /** `n` bytes were written at `target()`. */
  written(n: number): void {
    if (!this.readingIntoSlot) {
      this.write(this.scratch.subarray(0, n));
      return;
    }
    this.length += n;
    const end = this.parse();
    if (end > 0) this.finish(end, this.slot!.subarray(end, this.length));
  }

  /** Publishes a frame; bytes read past its end start the next one (a small copy). */
  private finish(end: number, rest: Buffer): void {
    const carry = rest.length > 0 ? Buffer.from(rest) : undefined;
    this.length = 0;
    this.state = 'soi';
    this.complete(end);
    if (carry) this.write(carry);
  }

  reset(): void {
    this.length = 0;
    this.pos = 0;
    this.state = 'soi';
  }

  write(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.state === 'soi') {
        // Find FF D8 (it may straddle chunks: keep a lone trailing FF).
        const start = findSoi(chunk, offset, this.length === 1);
        if (start < 0) {
          this.length = chunk[chunk.length - 1] === 0xff ? 1 : 0;
          return;
        }
        this.slot = this.sink.acquire();
        this.slot[0] = 0xff;
        this.slot[1] = 0xd8;
        this.length = 2;
        this.pos = 2;
        this.state = 'segment';
            offset = start;
        continue;
      }
      const take = Math.min(chunk.length - offset, this.maxBytes - this.length);
      if (take === 0) {
        // Oversized: drop the frame, resynchronise on the next SOI.
        this.sink.dropped(`JPEG frame larger than ${this.maxBytes} bytes`);
        this.reset();
        continue;
      }
      chunk.copy(this.slot!, this.length, offset, offset + take);
      this.length += take;
      offset += take;
      const end = this.parse();
      if (end > 0) {
        // Bytes after EOI belong to the next frame: rewind to them.
        offset -= this.length - end;
        this.length = 0;
        this.state = 'soi';
        this.complete(end);
      }
    }
  }

  /** Advances the parser over the slot; returns the frame length once EOI is seen, else 0. */
  private parse(): number {
    const b = this.slot!;
    while (this.pos < this.length) {
      if (this.state === 'segment') {
        if (this.pos + 2 > this.length) return 0;
        if (b[this.pos] !== 0xff) return this.resync();
        const marker = b[this.pos + 1]!;
        if (marker === 0xff) {
          this.pos++; // fill byte
          continue;
        }
        if (marker === 0xd9) return this.pos + 2;
        if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
          this.pos += 2;
          continue;
        }
        if (this.pos + 4 > this.length) return 0;
        const segment = b.readUInt16BE(this.pos + 2);
        this.pos += 2 + segment;
        if (marker === 0xda) this.state = 'entropy';
        continue;
      }
      // entropy-coded data: look for a marker that is not stuffing or a restart.
      const ff = b.indexOf(0xff, this.pos);
      if (ff < 0 || ff >= this.length) {
        this.pos = this.length;
        return 0;
      }
      if (ff + 1 >= this.length) {
        this.pos = ff;
        return 0;
      }
      const next = b[ff + 1]!;
      if (next === 0x00 || (next >= 0xd0 && next <= 0xd7) || next === 0xff) {
        this.pos = ff + (next === 0xff ? 1 : 2);
        continue;
      }
      if (next === 0xd9) return ff + 2;
      // Another segment after the scan (e.g. DNL, progressive scans).
      this.pos = ff;
      this.state = 'segment';
    }
    return 0;
  }

  private resync(): number {
    this.sink.dropped('corrupt JPEG stream');
    this.reset();
    return 0;
  }
}

function findSoi(chunk: Buffer, from: number, pendingFf: boolean): number {
  if (pendingFf && from === 0 && chunk[0] === 0xd8) return 1;
  for (let i = chunk.indexOf(0xff, from); i >= 0 && i + 1 < chunk.length; i = chunk.indexOf(0xff, i + 1)) {
    if (chunk[i + 1] === 0xd8) return i + 2;
  }
  return -1;
}
