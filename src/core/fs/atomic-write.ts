import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';

/**
 * Every file picam saves goes through here: written to a hidden temp name in
 * the same folder, flushed to disk, then renamed. A crash leaves at most a
 * `.tmp` file, never a half file under a final name.
 *
 * Why each rename waits for its own file's fdatasync, even in a batch: a
 * rename can reach the disk before the data it names (ext4 journals the
 * directory entry while delayed allocation has not yet placed the data), so
 * after a power loss the final name could show a short or zero-filled file;
 * temp → fdatasync → rename is the only order that rules that out. What can
 * be batched is the folder's fsync (one per event, before and after the
 * manifest, not one per file). Deferring each file's fdatasync + rename so
 * the encoders run ahead (an event-wide writer, syncs two at a time) was
 * tried and measured no faster at 1080p once export buffers were pooled:
 * the main thread, not the threadpool, was the limit (BENCHMARKS.md).
 */
export async function writeFileAtomic(file: string, chunks: readonly Uint8Array[]): Promise<number> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx');
  let bytes = 0;
  try {
    for (const chunk of chunks) bytes += (await handle.write(chunk)).bytesWritten;
    await handle.datasync();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await handle.close();
  try {
    await rename(temp, file);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  return bytes;
}

/** Makes a folder's new entries (the renames above) survive power loss. */
export async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
