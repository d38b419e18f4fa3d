import type { FrameGeometry, FrameMeta, PixelFormat } from '../frame.js';
import type { RingBuffer } from '../ring/ring-buffer.js';
import type { DeliveryWindow } from './delivery-window.js';
import type { EncodeSpec, SharedEncoder, StreamEncoding } from './shared-encoder.js';

export interface StreamOptions {
  encoding: StreamEncoding;
  /** 0 = every frame. */
  maxFps: number;
  quality: number;
  /** 0 = keep (or follow the other side, keeping the aspect ratio). */
  width: number;
  height: number;
  pixelFormat: EncodeSpec['pixelFormat'];
  qualitySet: boolean;
  /** Start this many seconds back in the ring; 0 = with the next frame. */
  historyS: number;
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
  /** The part of `dropped` not asked for by max_fps: the reader was slower than capture. */
  lagged: number;
}

export interface FrameFeed extends FrameGeometry {
  ring: RingBuffer;
  encoder: SharedEncoder;
  /** Wall-clock ms now, on the core's clock (history_s counts back from it). */
  nowMs(): number;
  /** Calls `listener` after each new frame; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
}

/**
 * Frames for one subscriber, as an async iterator that ends when `signal`
 * aborts. Backpressure rule: a subscriber holds only a cursor into the ring,
 * no frames. Each time it is ready for the next message it gets the newest
 * frame, and the frames it skipped count as dropped. So a stalled reader
 * costs no memory and never slows capture or other subscribers. With
 * `historyS` it first replays the ring from that far back, as fast as it
 * reads (frames the ring overwrites before it gets there count as dropped).
 *
 * The caller asks for the next frame only once its transport has taken the
 * previous one. With a `window`, it also waits until the reader has
 * confirmed enough of what is in flight (delivery-window.ts): only then is
 * "the newest frame" chosen, so the bytes queued below the transport (socket
 * buffer, HTTP/2 windows, a slow link's own buffer) stay within two frames.
 */
export async function* streamFrames(feed: FrameFeed, options: StreamOptions, signal: AbortSignal, window?: DeliveryWindow): AsyncGenerator<StreamedFrame> {
  const { ring } = feed;
  const size = outputSize(feed.width, feed.height, options.width, options.height);
  const spec: EncodeSpec = { ...options, ...size };
  const minGapMs = options.maxFps > 0 ? 1000 / options.maxFps : 0;
  let cursor = options.historyS > 0 ? ring.firstAtOrAfter(feed.nowMs() - options.historyS * 1000) : ring.newestId + 1;
  let catchingUp = options.historyS > 0;
  let dropped = 0;
  let throttled = 0;
  let lastSentMs = -Infinity;
  let wake: (() => void) | undefined;
  const unsubscribe = feed.subscribe(() => wake?.());
  const onAbort = (): void => wake?.();
  signal.addEventListener('abort', onAbort);
  try {
    while (!signal.aborted) {
      const newest = ring.newestId;
      if (cursor > newest) {
        catchingUp = false;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        continue;
      }
      if (!catchingUp && newest > cursor) {
        // Live: the newest frame wins; what we skip is dropped.
        dropped += newest - cursor;
        cursor = newest;
      }
      if (cursor < ring.oldestId) {
        dropped += ring.oldestId - cursor;
        cursor = ring.oldestId;
      }
      const id = cursor++;
      const timestamp = ring.timestampOf(id) ?? 0;
      // A little tolerance so a camera at exactly max_fps is not halved by jitter.
      if (timestamp - lastSentMs < minGapMs * 0.9) {
        dropped++;
        throttled++;
        continue;
      }
      const meta = ring.get(id)?.meta;
      const encoding = feed.encoder.encode(id, spec);
      if (!meta || !encoding) {
        dropped++;
        continue;
      }
      const out = await encoding;
      lastSentMs = timestamp;
      yield { meta, ...size, ...out, encoding: options.encoding, dropped, lagged: dropped - throttled };
      dropped = 0;
      throttled = 0;
      if (window) {
        window.sent(out.data.byteLength);
        await window.ready(signal);
      }
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
