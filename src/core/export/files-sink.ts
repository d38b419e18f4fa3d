import path from 'node:path';
import type { PixelFormat } from '../frame.js';
import { stageFile, type StagedFile } from '../fs/atomic-write.js';
import type { FrameFormat } from './export-format.js';
import { encodeImage, type EncodeOptions } from './frame-encoder.js';
import type { FrameSink, SinkFrame } from './sink.js';

/** File stem that sorts in capture order: zero-padded frame id, then the capture time. */
export function frameStem(id: number, timestampMs: number): string {
  const time = new Date(timestampMs).toISOString().replace(/[-:]/g, '').replace('.', '');
  return `${String(id).padStart(10, '0')}_${time}`;
}

/**
 * Frames whose files are written but not yet synced and renamed. Their
 * memory is already back in the pools; what they hold is an open temp file
 * each and a threadpool thread per fdatasync. Four overlap the disk's
 * flush latency (6.2 MB npy files: ~40 synced files/s one at a time,
 * 200+/s four at a time on the bench's disk) without queueing sharp's
 * encodes behind syncs in libuv's 4 threads for long.
 */
const MAX_SYNCING = 4;

/**
 * One file per frame and format (jpg, png, npy), each written to a temp
 * name (stageFile) and then synced and renamed in the background as soon as
 * it is written; `write` resolves once the frame's memory is no longer
 * needed (at most MAX_SYNCING frames' files syncing at once). A frame is reported, with the names
 * written, only once all its files are synced and renamed; `finish` waits
 * for the last ones and throws the first failure.
 */
export class FilesSink implements FrameSink {
  readonly ordered = false;
  bytes = 0;
  private readonly syncing = new Set<Promise<void>>();
  private failure: { error: unknown } | undefined;

  constructor(
    private readonly dir: string,
    private readonly formats: FrameFormat[],
    private readonly encode: EncodeOptions,
    private readonly onFrame: (frame: SinkFrame, files: string[]) => void,
  ) {}

  async write(frame: SinkFrame): Promise<void> {
    while (this.syncing.size >= MAX_SYNCING) await Promise.race(this.syncing);
    if (this.failure) throw this.failure.error;
    const stem = frameStem(frame.meta.id, frame.meta.timestampMs);
    // Settled, not Promise.all: the frame's buffers go back to the pools when this resolves, so no
    // encode or write of another format may still be reading them when one fails.
    const results = await Promise.allSettled(
      this.formats.map(async (format) => {
        const name = `${stem}.${format}`;
        // A camera JPEG, or a compressed-tier frame, is saved as it is: no second lossy encode;
        // I420 goes to JPEG from its planes where the native encoder is built.
        const chunks =
          format === 'jpg' && isJpeg(frame.format) ? [frame.native]
          : format === 'jpg' && frame.jpeg ? [await frame.jpeg(this.encode.jpegQuality)]
          : await encodeImage(await frame.pixels(), format, this.encode);
        const staged = await stageFile(path.join(this.dir, name), chunks);
        // Each file is synced and renamed as soon as it is written, not once the frame's slowest format is:
        // a jpg beside a png is in place (and seen by a folder watcher) a PNG encode sooner.
        staged.commit().catch(() => undefined); // awaited in sync(); a discard waits for it
        return { name, staged };
      }),
    );
    const staged = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) {
      // The frame is not saved: none of its files may stay under a final name that no manifest lists.
      await Promise.all(staged.map((s) => s.staged.discard()));
      throw failed.reason;
    }
    this.sync(frame, staged);
  }

  /** Resolves once every frame's files are synced and renamed; throws the first failure. */
  async finish(): Promise<void> {
    while (this.syncing.size > 0) await Promise.all(this.syncing);
    if (this.failure) throw this.failure.error;
  }

  private sync(frame: SinkFrame, files: Array<{ name: string; staged: StagedFile }>): void {
    const done = Promise.allSettled(files.map((f) => f.staged.commit())).then(async (results) => {
      const failed = results.find((r) => r.status === 'rejected');
      if (failed) {
        this.failure ??= { error: failed.reason };
        await Promise.all(files.map((f) => f.staged.discard()));
        return;
      }
      for (const r of results) this.bytes += (r as PromiseFulfilledResult<number>).value;
      this.onFrame(
        frame,
        files.map((f) => f.name),
      );
    });
    const tracked: Promise<void> = done.finally(() => this.syncing.delete(tracked));
    this.syncing.add(tracked);
  }
}

function isJpeg(format: PixelFormat): boolean {
  return format === 'mjpeg';
}
