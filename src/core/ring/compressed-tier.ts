import sharp from 'sharp';
import type { FrameGeometry, FrameMeta } from '../frame.js';
import { decodeFrame } from '../pixels/decode.js';
import { frameJpegEncoder, type FrameJpegEncoder } from '../pixels/i420-jpeg.js';
import { RingBuffer, type RingFrame } from './ring-buffer.js';

export interface CompressedTierOptions {
  /** Bytes of the packed JPEG region. */
  bytes: number;
  /** Most frames it keeps metadata for. */
  frames: number;
  /** JPEG quality 1-100. */
  quality: number;
}

/**
 * Older history for raw sources: every raw frame, encoded to JPEG off the
 * event loop (I420 straight from its planes by the native encoder, else
 * through RGB in the pixel worker's SIMD path into one reused buffer and
 * sharp; RGB and grey with sharp),
 * kept in a packed byte ring under the raw frame's id. Capture never waits for
 * it: one frame is encoded at a time, oldest first, and a frame that leaves
 * the raw ring before its turn is skipped and counted. Exports read a frame
 * from here once the raw ring has dropped it, and say so in the manifest.
 */
export class CompressedTier {
  readonly quality: number;
  /** Frames never encoded (the encoder was behind, or an export held the space). */
  skipped = 0;
  encoded = 0;
  /** Milliseconds from copy to stored, summed: encode latency, not CPU. */
  encodeMs = 0;
  private readonly ring: RingBuffer;
  /** The raw id of each frame, by this ring's slot. */
  private readonly rawIds: Float64Array;
  private readonly scratch: Buffer;
  /** RGB of the frame being encoded (raw I420 sources without the native encoder), written in place by the pixel worker. */
  private readonly rgb: Buffer | undefined;
  /** JPEG straight from the I420 planes (native encoder), when the source is I420 and it is built. */
  private readonly jpegFromPlanes: FrameJpegEncoder | undefined;
  private cursor = 1;
  private busy = false;
  private closed = false;
  /** Export pins: raw ids of frames that must not be evicted yet, with how many hold each. */
  private readonly pins = new Map<number, number>();

  constructor(
    private readonly raw: RingBuffer,
    private readonly geometry: FrameGeometry,
    options: CompressedTierOptions,
  ) {
    this.quality = options.quality;
    this.ring = new RingBuffer(options.frames, raw.slotBytes, options.bytes);
    this.rawIds = new Float64Array(options.frames);
    // Shared memory: the pixel worker reads an I420 copy in place.
    this.scratch = Buffer.from(new SharedArrayBuffer(raw.slotBytes));
    this.jpegFromPlanes = frameJpegEncoder(geometry);
    // The RGB buffer only where I420 still goes through sharp.
    this.rgb = geometry.format === 'yuv420' && !this.jpegFromPlanes ? Buffer.from(new SharedArrayBuffer(geometry.width * geometry.height * 3)) : undefined;
  }

  /** What the manifest calls frames from this tier. */
  get label(): string {
    return `jpeg q${this.quality}`;
  }

  get payloadBytes(): number {
    return this.ring.payloadBytes;
  }

  get size(): number {
    return this.ring.size;
  }

  get bytesHeld(): number {
    return this.ring.bytesHeld;
  }

  get framesAtCurrentSize(): number {
    return this.ring.framesAtCurrentSize;
  }

  /** Raw id of the oldest frame held, 0 when empty. */
  get oldestRawId(): number {
    return this.ring.size === 0 ? 0 : this.rawIds[this.ring.oldestId % this.ring.capacity]!;
  }

  get newestRawId(): number {
    return this.ring.size === 0 ? 0 : this.rawIds[this.ring.newestId % this.ring.capacity]!;
  }

  /** Seconds between the oldest and newest frame held. */
  get spanS(): number {
    const a = this.ring.monotonicOf(this.ring.oldestId);
    const b = this.ring.monotonicOf(this.ring.newestId);
    return a === undefined || b === undefined ? 0 : (b - a) / 1000;
  }

  /** Call after every raw frame is committed; starts the encoder if idle. */
  offer(): void {
    if (this.busy || this.closed) return;
    this.busy = true;
    void this.pump().finally(() => (this.busy = false));
  }

  close(): void {
    this.closed = true;
  }

  /** The JPEG of raw frame `rawId`, if held. A view: copy it before awaiting. */
  get(rawId: number): RingFrame | undefined {
    const cid = this.find(rawId);
    if (cid === undefined || this.rawIds[cid % this.ring.capacity] !== rawId) return undefined;
    const frame = this.ring.get(cid)!;
    return { meta: { ...frame.meta, id: rawId }, data: frame.data };
  }

  /** Smallest raw id >= `rawId` held here, or undefined. */
  heldAtOrAfter(rawId: number): number | undefined {
    const cid = this.find(rawId);
    return cid === undefined ? undefined : this.rawIds[cid % this.ring.capacity];
  }

  /** Raw id of the first frame held captured at or after `time` (monotonic), or undefined. */
  firstAtOrAfter(monotonicMs: number): number | undefined {
    if (this.ring.size === 0) return undefined;
    const cid = this.ring.firstAtOrAfter(monotonicMs, 'monotonic');
    return cid > this.ring.newestId ? undefined : this.rawIds[cid % this.ring.capacity];
  }

  monotonicOf(rawId: number): number | undefined {
    return this.get(rawId)?.meta.monotonicMs;
  }

  /** Keeps frames from `rawId` on from eviction until the returned release is called. */
  pin(rawId: number): () => void {
    this.pins.set(rawId, (this.pins.get(rawId) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.pins.get(rawId) ?? 1) - 1;
      if (left === 0) this.pins.delete(rawId);
      else this.pins.set(rawId, left);
    };
  }

  /** Moves a pin forward as an export reads on (frames before `to` may go). */
  movePin(release: () => void, to: number): () => void {
    const next = this.pin(to);
    release();
    return next;
  }

  private async pump(): Promise<void> {
    while (!this.closed && this.raw.size > 0 && this.cursor <= this.raw.newestId) {
      if (this.cursor < this.raw.oldestId) {
        this.skipped += this.raw.oldestId - this.cursor;
        this.cursor = this.raw.oldestId;
      }
      const frame = this.raw.get(this.cursor)!;
      this.cursor++;
      // Copied in one synchronous step: the raw slot may be reused while we encode.
      frame.data.copy(this.scratch);
      const meta: FrameMeta = { ...frame.meta };
      const started = performance.now();
      try {
        const jpeg = await this.encode(this.scratch.subarray(0, frame.data.length));
        this.store(jpeg, meta);
      } catch {
        this.skipped++;
      }
      this.encodeMs += performance.now() - started;
    }
  }

  private async encode(native: Buffer): Promise<Buffer> {
    if (this.jpegFromPlanes) return this.jpegFromPlanes(native, this.quality);
    const image = await decodeFrame(native, this.geometry, this.rgb);
    return sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } })
      .jpeg({ quality: this.quality, mozjpeg: false, optimiseCoding: false })
      .toBuffer();
  }

  private store(jpeg: Buffer, meta: FrameMeta): void {
    if (jpeg.length > this.ring.slotBytes) {
      this.skipped++;
      return;
    }
    const keepFrom = this.pins.size === 0 ? Infinity : this.ringIdOfPin(Math.min(...this.pins.keys()));
    const target = this.ring.tryAcquire(keepFrom);
    if (!target) {
      this.skipped++;
      return;
    }
    target.set(jpeg);
    const cid = this.ring.commit(jpeg.length, { ...meta, darkScore: meta.darkScore, night: meta.night });
    this.rawIds[cid % this.ring.capacity] = meta.id;
    this.encoded++;
  }

  /** This ring's id of the first frame at or after raw id `rawId`. */
  private ringIdOfPin(rawId: number): number {
    return this.find(rawId) ?? Infinity;
  }

  /** This ring's id of the first frame whose raw id is >= `rawId`, or undefined. */
  private find(rawId: number): number | undefined {
    if (this.ring.size === 0) return undefined;
    let lo = this.ring.oldestId;
    let hi = this.ring.newestId + 1;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (this.rawIds[mid % this.ring.capacity]! < rawId) lo = mid + 1;
      else hi = mid;
    }
    return lo > this.ring.newestId ? undefined : lo;
  }
}
