import { readFile } from 'node:fs/promises';
import os from 'node:os';
import type { Config } from '../config/schema.js';
import { PicamError } from '../errors.js';

export interface RingSize {
  frames: number;
  /** Which config field decided, for the log and error messages. */
  field: string;
  /** How the number was reached, in words. */
  arithmetic: string;
}

/** Turns `ring` (frames, seconds or max_bytes) into a frame count for this frame size. */
export function ringSize(ring: Pick<Config['ring'], 'frames' | 'seconds' | 'max_bytes'>, framerate: number, slotBytes: number): RingSize {
  if (ring.frames !== undefined) return { frames: ring.frames, field: 'ring.frames', arithmetic: `${ring.frames} frames` };
  if (ring.max_bytes !== undefined) {
    const frames = Math.floor(ring.max_bytes / slotBytes);
    if (frames < 2) {
      throw new PicamError('FAILED_PRECONDITION', `ring.max_bytes: ${ring.max_bytes} bytes hold ${frames} frames of ${slotBytes} bytes; at least 2 are needed`, {
        field: 'ring.max_bytes',
      });
    }
    return { frames, field: 'ring.max_bytes', arithmetic: `${ring.max_bytes} bytes / ${slotBytes} bytes a frame = ${frames} frames` };
  }
  const seconds = ring.seconds ?? 3;
  const frames = Math.max(2, Math.ceil(seconds * framerate));
  return { frames, field: 'ring.seconds', arithmetic: `${seconds} s x ${framerate} fps = ${frames} frames` };
}

/**
 * What the service needs besides the ring, measured with deploy/config.json
 * at 720p30 yuv420 from the fake rpicam-vid on x86-64 (README "Install on a
 * Raspberry Pi"): RSS minus the ring was 133-174 MB steady and up to 190 MB
 * at its peak after a jpg export (Node, sharp/libvips, gRPC, the convert
 * worker, export buffers).
 */
export const SERVICE_OVERHEAD_BYTES = 190e6;
/** Left for the OS, the camera stack (rpicam-vid's own buffers) and the page cache. */
export const HEADROOM_BYTES = 48e6;

export interface MemoryState {
  /** MemAvailable of /proc/meminfo (free memory elsewhere). */
  available: number;
  /** This process's resident memory now: part of the overhead, already taken from `available`. */
  rss: number;
}

/**
 * Refuses a ring the machine cannot hold, before allocating it: a ring that
 * pushes the box into swap or the OOM killer is worse than no start at all.
 * Counts the service's own overhead and leaves headroom, and says the sums.
 */
export async function checkRingFits(size: RingSize, slotBytes: number, memory?: MemoryState): Promise<void> {
  const payload = size.frames * slotBytes;
  const { available, rss } = memory ?? { available: await availableMemory(), rss: process.memoryUsage.rss() };
  const need = payload + SERVICE_OVERHEAD_BYTES + HEADROOM_BYTES;
  const have = available + rss;
  if (need > have) {
    throw new PicamError(
      'FAILED_PRECONDITION',
      `${size.field}: ${size.arithmetic} x ${mb(slotBytes)} a frame = ${mb(payload)} ring + ${mb(SERVICE_OVERHEAD_BYTES)} service (Node, encoders, export and stream buffers) + ` +
        `${mb(HEADROOM_BYTES)} headroom = ${mb(need)}, more than the ${mb(have)} of memory available (${mb(available)} free + ${mb(rss)} this process holds); ` +
        'lower the ring size, the frame rate or camera.width/height, or keep frames as camera.codec "yuv420" (half of rgb)',
      { field: size.field },
    );
  }
}

async function availableMemory(): Promise<number> {
  try {
    const meminfo = await readFile('/proc/meminfo', 'utf8');
    const kb = /MemAvailable:\s+(\d+)/.exec(meminfo)?.[1];
    if (kb) return Number(kb) * 1024;
  } catch {
    // not Linux
  }
  return os.freemem();
}

function mb(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : `${(bytes / 1e6).toFixed(1)} MB`;
}

/**
 * Bytes a JPEG is assumed to take per pixel when a packed ring is sized by
 * `seconds` or `frames` (its real size is only known once frames arrive), for
 * a source whose JPEG quality is not ours to know (a webcam, a clip).
 */
export const JPEG_BYTES_PER_PIXEL = 0.25;

/**
 * libjpeg's bytes per pixel by quality (4:2:0, standard tables: what
 * rpicam-vid's `--quality` and the compressed tier's sharp both run) on the
 * bench's camera-like 1080p scene (testsrc2 + temporal noise), cv2.imencode,
 * 2026-12-02, times 1.75: the margin by which the fake rpicam-vid's q50 frames
 * (176 KB) and its q80/q90 ones came out larger, so a ring sized by seconds
 * holds at least those seconds of such content. A real scene is usually
 * smaller (the ring then holds more); the status reports the span held.
 */
const JPEG_BPP_BY_QUALITY: ReadonlyArray<readonly [number, number]> = [
  [1, 0.03], [10, 0.035], [20, 0.04], [30, 0.052], [40, 0.07], [50, 0.093], [60, 0.121], [70, 0.168],
  [80, 0.245], [85, 0.32], [90, 0.483], [95, 0.837], [100, 1.72],
];

/** Bytes per pixel assumed for JPEGs of `quality` (1-100), or JPEG_BYTES_PER_PIXEL when the quality is unknown. */
export function jpegBytesPerPixel(quality?: number): number {
  if (quality === undefined) return JPEG_BYTES_PER_PIXEL;
  const q = Math.min(100, Math.max(1, quality));
  for (let i = 1; i < JPEG_BPP_BY_QUALITY.length; i++) {
    const [q1, b1] = JPEG_BPP_BY_QUALITY[i]!;
    if (q <= q1) {
      const [q0, b0] = JPEG_BPP_BY_QUALITY[i - 1]!;
      return b0 + ((b1 - b0) * (q - q0)) / (q1 - q0);
    }
  }
  return JPEG_BPP_BY_QUALITY.at(-1)![1];
}

/** Smallest mean frame a packed ring keeps metadata for (a black 320x240 JPEG is ~2 KB; a lit one far more). */
const MIN_PACKED_FRAME = 4096;

export interface PackedRingSize {
  /** Bytes of the one region. */
  bytes: number;
  /** Most frames it can hold (metadata entries). */
  frames: number;
  field: string;
  arithmetic: string;
}

/**
 * Sizes a byte ring for frames of varying size up to `slotBytes`: `max_bytes`
 * as given, else seconds (or frames) at `bytesPerPixel` (jpegBytesPerPixel),
 * plus two largest frames (the span a writer is handed).
 */
export function packedRingSize(ring: Config['ring'], framerate: number, slotBytes: number, pixels: number, field = 'ring', bytesPerPixel = JPEG_BYTES_PER_PIXEL): PackedRingSize {
  let bytes: number;
  let sizedBy: string;
  let arithmetic: string;
  const estimate = Math.ceil(pixels * bytesPerPixel);
  if (ring.max_bytes !== undefined) {
    bytes = ring.max_bytes;
    sizedBy = `${field}.max_bytes`;
    arithmetic = `${ring.max_bytes} bytes packed`;
  } else {
    const frames = ring.frames ?? Math.max(2, Math.ceil((ring.seconds ?? 3) * framerate));
    sizedBy = ring.frames !== undefined ? `${field}.frames` : `${field}.seconds`;
    bytes = frames * estimate + 2 * slotBytes;
    arithmetic = `${frames} frames x ~${estimate} bytes (a JPEG at ~${bytesPerPixel.toFixed(3)} bytes/pixel) + 2 largest frames = ${bytes} bytes packed`;
  }
  if (bytes < 2 * slotBytes) {
    throw new PicamError('FAILED_PRECONDITION', `${sizedBy}: ${bytes} bytes cannot hold two frames of up to ${slotBytes} bytes; give at least ${2 * slotBytes}`, {
      field: sizedBy,
    });
  }
  const frames = Math.max(2, Math.ceil(bytes / MIN_PACKED_FRAME));
  return { bytes, frames, field: sizedBy, arithmetic };
}
