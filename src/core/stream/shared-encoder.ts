import sharp from 'sharp';
import type { FrameGeometry, PixelFormat } from '../frame.js';
import { PicamError } from '../errors.js';
import { decodeFrame, type PixelImage } from '../pixels/decode.js';
import { frameJpegEncoder, type FrameJpegEncoder } from '../pixels/i420-jpeg.js';
import type { RingBuffer } from '../ring/ring-buffer.js';

export type StreamEncoding = 'jpeg' | 'raw' | 'metadata';

/** What one subscriber asked for; subscribers asking the same share one encode per frame. */
export interface EncodeSpec {
  encoding: StreamEncoding;
  width: number;
  height: number;
  quality: number;
  pixelFormat: 'rgb24' | 'gray8' | 'yuv420';
  /** The caller set a JPEG quality, so a camera JPEG cannot be passed through as it is. */
  qualitySet: boolean;
}

export interface EncodedFrame {
  data: Uint8Array;
  pixelFormat: PixelFormat | undefined;
}

/** Encodes kept for the most recent frames; subscribers asking for the same frame share them. */
const CACHE_ENTRIES = 32;
/** Bytes of finished encodes kept, in camera-sized RGB frames (and at least 16 MB): the cache never holds 32 huge frames. */
const CACHE_FRAMES = 4;
const MIN_CACHE_BYTES = 16 * 1024 * 1024;

/**
 * Encodes frames for subscribers, once per frame and output spec however
 * many subscribers ask: ten viewers of 1080p JPEG cost one encode a frame.
 * Decoding (I420 or JPEG to RGB) is shared too, across specs; full-size
 * JPEG of I420 needs no decoding (the native encoder takes the planes). Work
 * runs off the event loop (sharp's and libuv's threads, the conversion worker).
 */
export class SharedEncoder {
  private readonly encoded = new Map<string, Promise<EncodedFrame>>();
  private readonly decoded = new Map<number, Promise<PixelImage>>();
  /** Sizes of the finished encodes in `encoded`, to bound the cache by bytes as well as entries. */
  private readonly sizes = new Map<string, number>();
  private cachedBytes = 0;
  private readonly maxCacheBytes: number;
  /** Encodes actually run (cache misses), for GetStatus. */
  encodes = 0;
  /** Full-size JPEG of I420 frames straight from the planes (native encoder), when built. */
  private readonly jpegFromPlanes: FrameJpegEncoder | undefined;

  constructor(
    private readonly ring: RingBuffer,
    private readonly geometry: FrameGeometry,
  ) {
    this.maxCacheBytes = Math.max(MIN_CACHE_BYTES, CACHE_FRAMES * geometry.width * geometry.height * 3);
    this.jpegFromPlanes = frameJpegEncoder(geometry);
  }

  /** The frame encoded as asked, or undefined if the ring no longer holds it. */
  encode(id: number, spec: EncodeSpec): Promise<EncodedFrame> | undefined {
    const key = `${id}|${spec.encoding}|${spec.width}x${spec.height}|${spec.qualitySet ? spec.quality : '-'}|${spec.pixelFormat}`;
    const cached = this.encoded.get(key);
    if (cached) return cached;
    const frame = this.ring.get(id);
    if (!frame) return undefined;
    // Copied now, synchronously: the slot may be overwritten while we encode.
    const native = Buffer.from(frame.data);
    this.encodes++;
    const work = this.run(id, native, spec);
    remember(this.encoded, key, work);
    work.then(
      (out) => this.account(key, work, out.data.byteLength),
      // A failed encode is not cached: the next subscriber may try again.
      () => this.encoded.delete(key),
    );
    return work;
  }

  /** Drops the oldest encodes while the finished ones hold more than maxCacheBytes. */
  private account(key: string, work: Promise<EncodedFrame>, bytes: number): void {
    for (const [k, size] of this.sizes) {
      if (this.encoded.has(k)) continue;
      this.sizes.delete(k); // evicted by entry count meanwhile
      this.cachedBytes -= size;
    }
    if (this.encoded.get(key) !== work) return;
    this.sizes.set(key, bytes);
    this.cachedBytes += bytes;
    for (const k of this.encoded.keys()) {
      if (this.cachedBytes <= this.maxCacheBytes) break;
      const size = this.sizes.get(k);
      if (size === undefined) continue; // still encoding
      this.encoded.delete(k);
      this.sizes.delete(k);
      this.cachedBytes -= size;
    }
  }

  private async run(id: number, native: Buffer, spec: EncodeSpec): Promise<EncodedFrame> {
    const { geometry } = this;
    const sameSize = spec.width === geometry.width && spec.height === geometry.height;
    if (spec.encoding === 'metadata') return { data: new Uint8Array(0), pixelFormat: undefined };
    // Native bytes go out as they are when they are what was asked for.
    if (sameSize && spec.encoding === 'raw' && spec.pixelFormat === geometry.format) return { data: native, pixelFormat: geometry.format };
    if (sameSize && spec.encoding === 'jpeg' && geometry.format === 'mjpeg' && !spec.qualitySet) return { data: native, pixelFormat: undefined };
    if (spec.encoding === 'raw' && spec.pixelFormat === 'yuv420') {
      throw new PicamError('INVALID_ARGUMENT', `pixel_format: PIXEL_FORMAT_YUV420 is offered only at full size from a yuv420 camera; this one keeps ${geometry.format}`, {
        field: 'pixel_format',
      });
    }
    // `native` is this encode's own copy, unchanged until the encoder is done with it.
    if (sameSize && spec.encoding === 'jpeg' && this.jpegFromPlanes) return { data: await this.jpegFromPlanes(native, spec.quality), pixelFormat: undefined };
    let pixels = this.decoded.get(id);
    if (!pixels) {
      pixels = decodeFrame(native, geometry);
      remember(this.decoded, id, pixels, 4);
    }
    const image = await pixels;
    let pipeline = sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } });
    if (!sameSize) pipeline = pipeline.resize(spec.width, spec.height, { fit: 'fill' });
    if (spec.encoding === 'jpeg') {
      return { data: await pipeline.jpeg({ quality: spec.quality, mozjpeg: false, optimiseCoding: false }).toBuffer(), pixelFormat: undefined };
    }
    if (spec.pixelFormat === 'gray8') return { data: await pipeline.toColourspace('b-w').raw().toBuffer(), pixelFormat: 'gray8' };
    return { data: await pipeline.raw().toBuffer(), pixelFormat: 'rgb24' };
  }
}

function remember<K, V>(map: Map<K, V>, key: K, value: V, limit = CACHE_ENTRIES): void {
  map.set(key, value);
  while (map.size > limit) map.delete(map.keys().next().value as K);
}
