import { readFile } from 'node:fs/promises';
import path from 'node:path';

export interface RowAlignment {
  /** Bytes rpicam-vid's I420 rows are aligned to (1 = packed). */
  align: number;
  /** Where the figure came from, for the log. */
  reason: string;
}

/** The board's name from the device tree ("Raspberry Pi 5 Model B Rev 1.0"), or undefined off a Pi. */
export async function boardModel(sysRoot: string): Promise<string | undefined> {
  try {
    const text = await readFile(path.join(sysRoot, 'firmware/devicetree/base/model'), 'latin1');
    return text.replace(/\0+$/, '').trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The ISP's row alignment for I420 buffers on this board: PiSP (BCM2712:
 * Pi 5, Pi 500, Compute Module 5) aligns the U/V rows to 64 bytes and the Y
 * rows to twice that, 128; the VideoCore IV/VI ISP (bcm2835-isp: Pi 4 and
 * older, Zero 2 W) aligns Y rows to 64. `configured` (PICAM_ROW_ALIGN) > 0
 * overrides the guess, for a board or stack this table does not know.
 */
export function rowAlignment(model: string | undefined, configured: number): RowAlignment {
  if (configured > 0) return { align: configured, reason: `PICAM_ROW_ALIGN is ${configured}` };
  if (model === undefined) return { align: 64, reason: 'board model unknown (no device tree model); assuming a Pi 4 or older ISP' };
  if (/Raspberry Pi (5|500)\b|Compute Module 5/i.test(model)) return { align: 128, reason: `${model}: PiSP ISP` };
  return { align: 64, reason: `${model}: bcm2835 ISP` };
}
