import path from 'node:path';
import type { PixelFormat } from '../frame.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import type { FrameFormat } from './export-format.js';
import { encodeImage, type EncodeOptions } from './frame-encoder.js';
import type { FrameSink, SinkFrame } from './sink.js';

/** File stem that sorts in capture order: zero-padded frame id, then the capture time. */
export function frameStem(id: number, timestampMs: number): string {
  const time = new Date(timestampMs).toISOString().replace(/[-:]/g, '').replace('.', '');
  return `${String(id).padStart(10, '0')}_${time}`;
}

/**
 * One file per frame and format (jpg, png, npy), each through the atomic
 * writer. Reports per frame the names written, for the manifest.
 */
export class FilesSink implements FrameSink {
  readonly ordered = false;
  bytes = 0;

  constructor(
    private readonly dir: string,
    private readonly formats: FrameFormat[],
    private readonly encode: EncodeOptions,
    private readonly onFrame: (frame: SinkFrame, files: string[]) => void,
  ) {}

  async write(frame: SinkFrame): Promise<void> {
    const stem = frameStem(frame.meta.id, frame.meta.timestampMs);
    // Settled, not Promise.all: the frame's buffers go back to the pools when this resolves, so no
    // encode or write of another format may still be reading them when one fails.
    const results = await Promise.allSettled(
      this.formats.map(async (format) => {
        const name = `${stem}.${format}`;
        // A camera JPEG, or a compressed-tier frame, is saved as it is: no second lossy encode.
        const chunks = format === 'jpg' && isJpeg(frame.format) ? [frame.native] : await encodeImage(await frame.pixels(), format, this.encode);
        this.bytes += await writeFileAtomic(path.join(this.dir, name), chunks);
        return name;
      }),
    );
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    this.onFrame(frame, results.map((r) => (r as PromiseFulfilledResult<string>).value));
  }
}

function isJpeg(format: PixelFormat): boolean {
  return format === 'mjpeg';
}
