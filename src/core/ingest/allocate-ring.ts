import type { FrameSource } from '../capture/frame-source.js';
import type { Config } from '../config/schema.js';
import { frameBytes } from '../frame.js';
import type { Logger } from '../logger.js';
import { CompressedTier } from '../ring/compressed-tier.js';
import { RingBuffer } from '../ring/ring-buffer.js';
import { checkRingFits, jpegBytesPerPixel, packedRingSize, ringSize } from '../ring/ring-size.js';

export interface FrameStore {
  ring: RingBuffer;
  /** The compressed tier of a raw source, when on. */
  tier: CompressedTier | undefined;
}

/**
 * The ring for this source: fixed slots for raw frames, packed by bytes for
 * JPEG frames, plus the compressed tier when asked for (raw sources only).
 * Logs what it holds; refuses what the machine cannot hold.
 */
export async function allocateRing(config: Config, source: FrameSource, logger: Logger): Promise<FrameStore> {
  const { ring: sizing, camera } = config;
  const slotBytes = frameBytes(source);
  const pixels = source.width * source.height;
  // rpicam-vid encodes at a quality we set; a webcam's or a clip's JPEGs are what they are.
  const cameraBpp = jpegBytesPerPixel(source.kind === 'rpicam' ? camera.mjpeg_quality : undefined);
  const jpegKb = (bpp: number): number => Math.round((pixels * bpp) / 1000);
  let ring: RingBuffer;
  let arithmetic: string;
  if (source.format === 'mjpeg') {
    const size = packedRingSize(sizing, camera.framerate, slotBytes, pixels, 'ring', cameraBpp);
    await checkRingFits({ ...size, frames: 1 }, size.bytes);
    ring = new RingBuffer(size.frames, slotBytes, size.bytes);
    arithmetic = size.arithmetic;
  } else {
    const size = ringSize(sizing, camera.framerate, slotBytes);
    await checkRingFits(size, slotBytes);
    ring = new RingBuffer(size.frames, slotBytes);
    arithmetic = size.arithmetic;
  }
  const rawSpanS = ring.packed ? (ring.payloadBytes - slotBytes) / (pixels * cameraBpp) / camera.framerate : ring.capacity / camera.framerate;
  logger.info(
    { frames: ring.capacity, slot_bytes: slotBytes, payload_bytes: ring.payloadBytes, packed: ring.packed, seconds: round(rawSpanS), sized_by: ring.packed ? 'packed' : 'slots' },
    `ring buffer: ${arithmetic}, ${(ring.payloadBytes / 1e6).toFixed(1)} MB allocated, ~${round(rawSpanS)} s` +
      (ring.packed ? ` at ~${jpegKb(cameraBpp)} KB a frame (the status reports the span at the sizes that arrive)` : ''),
  );
  let spanS = rawSpanS;
  let tier: CompressedTier | undefined;
  if (sizing.compressed_seconds > 0 && source.format !== 'mjpeg') {
    const seconds = (sizing.seconds ?? ring.capacity / camera.framerate) + sizing.compressed_seconds;
    const limits = { seconds, ...(sizing.compressed_max_bytes !== undefined ? { max_bytes: sizing.compressed_max_bytes } : {}), compressed_seconds: 0, compressed_quality: 80 };
    const tierBpp = jpegBytesPerPixel(sizing.compressed_quality);
    const size = packedRingSize(limits, camera.framerate, slotBytes, pixels, 'ring.compressed', tierBpp);
    await checkRingFits({ ...size, frames: 1 }, size.bytes + ring.payloadBytes);
    tier = new CompressedTier(ring, source, { bytes: size.bytes, frames: size.frames, quality: sizing.compressed_quality });
    spanS = Math.max(spanS, seconds);
    logger.info(
      { payload_bytes: size.bytes, quality: sizing.compressed_quality, seconds: round(seconds) },
      `compressed tier: ${size.arithmetic}, ${(size.bytes / 1e6).toFixed(1)} MB allocated, ~${round(seconds)} s of JPEG q${sizing.compressed_quality} at ~${jpegKb(tierBpp)} KB a frame`,
    );
  }
  if (spanS < config.export.save_before_s) {
    logger.warn({ span_s: round(spanS), save_before_s: config.export.save_before_s }, 'ring holds less than export.save_before_s: events will miss their oldest frames');
  }
  return { ring, tier };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
