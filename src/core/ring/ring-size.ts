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
export function ringSize(ring: Config['ring'], framerate: number, slotBytes: number): RingSize {
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
 * Refuses a ring the machine cannot hold, before allocating it: a ring that
 * pushes the box into swap or the OOM killer is worse than no start at all.
 */
export async function checkRingFits(size: RingSize, slotBytes: number): Promise<void> {
  const payload = size.frames * slotBytes;
  const available = await availableMemory();
  if (payload > available) {
    throw new PicamError(
      'FAILED_PRECONDITION',
      `${size.field}: ${size.arithmetic} x ${mb(slotBytes)} a frame = ${mb(payload)}, more than the ${mb(available)} of memory available; ` +
        'lower the ring size or camera.width/height, or keep frames as camera.codec "yuv420" (half of rgb)',
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
