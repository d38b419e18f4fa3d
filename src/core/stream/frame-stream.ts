import sharp from 'sharp';
import type { FrameGeometry, FrameMeta, PixelFormat } from '../capture/frame.js';
import { decodeFrame } from '../pixels/decode.js';
import { PicamError } from '../errors.js';
import type { RingBuffer } from '../ring/ring-buffer.js';

export type StreamEncoding = 'jpeg' | 'raw' | 'metadata';

export interface StreamOptions {
  encoding: StreamEncoding;
  /** 0 = every frame. */
  maxFps: number;
  quality: number;
  /** 0 = keep (or follow the other side, keeping the aspect ratio). */
  width: number;
  height: number;
  pixelFormat: 'rgb24' | 'gray8' | 'yuv420';
  /** True when the caller set a JPEG quality (so a camera JPEG cannot be passed through). */
  qualitySet: boolean;
}

export interface StreamedFrame {
  meta: FrameMeta;
  width: number;
  height: number;
  encoding: StreamEncoding;
  pixelFormat: PixelFormat | undefined;
  data: Uint8Array;
  /** Frames skipped for this subscriber since the previous one. */
  dropped: number;
}

export interface FrameFeed extends FrameGeometry {
  ring: RingBuffer;
  /** Calls `listener` with each new frame id; returns the unsubscribe function. */
  subscribe(listener: (id: number) => void): () => void;
}

/**
 * Frames for one subscriber. Backpressure rule: at most one frame id waits
 * for the consumer; a newer frame replaces it and counts as dropped. Pixels
 * are read from the ring only when the consumer pulls, so a stalled reader
 * holds no frame memory at all, and never slows capture.
 */
export async function* streamFrames(feed: FrameFeed, options: StreamOptions, signal: AbortSignal): AsyncGenerator<StreamedFrame> {
  const size = outputSize(feed.width, feed.height, options.width, options.height);
  const minGapMs = options.maxFps > 0 ? 1000 / options.maxFps : 0;
  let waiting: number | undefined;
  let dropped = 0;
  let lastSentMs = -Infinity;
  let wake: (() => void) | undefined;
  const unsubscribe = feed.subscribe((id) => {
    const ts = feed.ring.timestampOf(id) ?? 0;
    // Small tolerance so a camera at exactly max_fps is not halved by jitter.
    if (ts - lastSentMs < minGapMs * 0.9) {
      dropped++;
      return;
    }
    if (waiting !== undefined) dropped++;
    waiting = id;
    wake?.();
  });
  const onAbort = (): void => wake?.();
  signal.addEventListener('abort', onAbort);
  try {
    while (!signal.aborted) {
      if (waiting === undefined) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        continue;
      }
      const id = waiting;
      waiting = undefined;
      const frame = feed.ring.get(id);
      if (!frame) {
        dropped++;
        continue;
      }
      lastSentMs = frame.meta.timestampMs;
      const out = await encode(feed, frame.data, options, size);
      yield { meta: frame.meta, ...size, ...out, encoding: options.encoding, dropped };
      dropped = 0;
    }
  } finally {
    unsubscribe();
    signal.removeEventListener('abort', onAbort);
  }
}

interface Size {
  width: number;
  height: number;
}

export function outputSize(width: number, height: number, wantW: number, wantH: number): Size {
  if (wantW > 0 && wantH > 0) return { width: wantW, height: wantH };
  if (wantW > 0) return { width: wantW, height: Math.max(1, Math.round((height * wantW) / width)) };
  if (wantH > 0) return { width: Math.max(1, Math.round((width * wantH) / height)), height: wantH };
  return { width, height };
}

async function encode(
  feed: FrameFeed,
  slot: Buffer,
  options: StreamOptions,
  size: Size,
): Promise<{ data: Uint8Array; pixelFormat: PixelFormat | undefined }> {
  if (options.encoding === 'metadata') return { data: new Uint8Array(0), pixelFormat: undefined };
  const sameSize = size.width === feed.width && size.height === feed.height;
  // Native bytes go out as they are when they are what was asked for.
  if (sameSize && options.encoding === 'raw' && options.pixelFormat === feed.format) return { data: Buffer.from(slot), pixelFormat: feed.format };
  if (sameSize && options.encoding === 'jpeg' && feed.format === 'mjpeg' && !options.qualitySet) return { data: Buffer.from(slot), pixelFormat: undefined };
  if (options.pixelFormat === 'yuv420' && options.encoding === 'raw') {
    throw new PicamError('INVALID_ARGUMENT', `pixel_format: PIXEL_FORMAT_YUV420 is offered only at full size from a yuv420 camera; this one keeps ${feed.format}`, {
      field: 'pixel_format',
    });
  }
  // The slot may be overwritten while we decode or sharp works off-thread: work on a copy.
  const pixels = await decodeFrame(Buffer.from(slot), feed);
  let image = sharp(pixels.data, { raw: { width: pixels.width, height: pixels.height, channels: pixels.channels } });
  if (!sameSize) image = image.resize(size.width, size.height, { fit: 'fill' });
  if (options.encoding === 'jpeg') {
    const data = await image.jpeg({ quality: options.quality, mozjpeg: false, optimiseCoding: false }).toBuffer();
    return { data, pixelFormat: undefined };
  }
  if (options.pixelFormat === 'gray8') {
    return { data: await image.toColourspace('b-w').raw().toBuffer(), pixelFormat: 'gray8' };
  }
  return { data: await image.raw().toBuffer(), pixelFormat: 'rgb24' };
}
