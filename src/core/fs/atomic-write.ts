import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { PAGE_BYTES, wasm } from '../pixels/wasm-assembler.js';

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
 * manifest, not one per file), and what can overlap is one file's
 * fdatasync with the next files' encoding and writing (stageFile below):
 * each rename still waits for its own file's sync.
 */
export async function writeFileAtomic(file: string, chunks: readonly Uint8Array[]): Promise<number> {
  return (await stageFile(file, chunks)).commit();
}

/** A file whose bytes are written to its temp name: not yet durable, not yet under its final name. */
export interface StagedFile {
  /** Bytes written. */
  readonly bytes: number;
  /** fdatasync, then rename to the final name; resolves with the bytes. On failure the temp file is removed. */
  commit(): Promise<number>;
  /**
   * Takes the file back (a sibling file of the same frame failed): before commit its temp file is removed and it
   * is never committed; once committing, its final name is removed when the commit has put it there.
   */
  discard(): Promise<void>;
}

/**
 * The first half of writeFileAtomic: the chunks written to a temp file, so
 * the caller may reuse their memory as soon as this resolves, while the
 * fdatasync and the rename run in `commit`, overlapped with the next
 * frames' work. The order per file stays temp -> fdatasync -> rename (see above).
 */
export async function stageFile(file: string, chunks: readonly Uint8Array[]): Promise<StagedFile> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(4).toString('hex')}.tmp`);
  let bytes = chunks.reduce((sum, c) => sum + c.length, 0);
  let handle = bytes >= DIRECT_MIN_BYTES && directWorks ? await writeDirect(temp, chunks) : undefined;
  if (handle === undefined) {
    handle = await open(temp, 'wx');
    try {
      bytes = 0;
      for (const chunk of chunks) bytes += (await handle.write(chunk)).bytesWritten;
    } catch (error) {
      await handle.close().catch(() => undefined);
      await unlink(temp).catch(() => undefined);
      throw error;
    }
  }
  const opened = handle;
  const discard = async (): Promise<void> => {
    await opened.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
  };
  let committed: Promise<number> | undefined;
  const commit = async (): Promise<number> => {
    try {
      await opened.datasync();
    } catch (error) {
      await discard();
      throw error;
    }
    await opened.close();
    try {
      await rename(temp, file);
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw error;
    }
    return bytes;
  };
  let discarded: Promise<void> | undefined;
  const takeBack = (): Promise<void> =>
    committed === undefined
      ? (committed = discard().then(() => 0)).then(() => undefined)
      : committed.then(() => unlink(file), () => undefined).catch(() => undefined); // a failed commit removed its temp file
  return { bytes, commit: () => (committed ??= commit()), discard: () => (discarded ??= takeBack()) };
}

/**
 * Files from this size on are written with O_DIRECT, from the disk's point
 * of view straight out of a small aligned buffer: a buffered write of a
 * fresh 6.2 MB file cost ~17 ms of kernel CPU (copying into new page-cache
 * pages) and its fdatasync then flushed at ~300-480 MB/s, while O_DIRECT +
 * fdatasync took ~0.8 ms of CPU and ran at ~1.7-2.1 GB/s on the same disk
 * (dd, BENCHMARKS.md). The fdatasync stays: it makes the size and the block
 * allocation durable and flushes the device's cache.
 */
const DIRECT_MIN_BYTES = 256 * 1024;
/** Bytes per O_DIRECT write: offsets and lengths must be multiples of the block size, so they go through this buffer. */
const DIRECT_CHUNK = 1 << 20;
/** O_DIRECT wants 512-byte (often 4096) aligned lengths and offsets; 4096 serves both. */
const DIRECT_ALIGN = 4096;
/** False once a filesystem refused O_DIRECT (tmpfs, some FUSE): everything is then written buffered. */
let directWorks = constants.O_DIRECT !== undefined;
/** Reused aligned buffers: WebAssembly memory starts on a page boundary, which a Buffer's memory need not. */
const directBuffers: Buffer[] = [];

function alignedBuffer(): Buffer {
  // Without WebAssembly a plain Buffer may be misaligned: the first write then fails with EINVAL and O_DIRECT is given up.
  return wasm ? Buffer.from(new wasm.Memory({ initial: DIRECT_CHUNK / PAGE_BYTES }).buffer) : Buffer.alloc(DIRECT_CHUNK);
}

/** The chunks written to a new file at `temp` with O_DIRECT, the handle left open; undefined (nothing left behind) when the filesystem refuses it. */
async function writeDirect(temp: string, chunks: readonly Uint8Array[]): Promise<FileHandle | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_DIRECT, 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EINVAL') throw error;
    directWorks = false;
    return undefined;
  }
  const buffer = directBuffers.pop() ?? alignedBuffer();
  try {
    let position = 0;
    let filled = 0;
    const flush = async (): Promise<void> => {
      const length = Math.ceil(filled / DIRECT_ALIGN) * DIRECT_ALIGN;
      buffer.fill(0, filled, length);
      let done = 0;
      while (done < length) done += (await handle.write(buffer, done, length - done, position + done)).bytesWritten;
      position += filled;
      filled = 0;
    };
    for (const chunk of chunks) {
      for (let at = 0; at < chunk.length; ) {
        const n = Math.min(DIRECT_CHUNK - filled, chunk.length - at);
        buffer.set(chunk.subarray(at, at + n), filled);
        filled += n;
        at += n;
        if (filled === DIRECT_CHUNK) await flush();
      }
    }
    if (filled > 0) {
      await flush();
      // The last write was padded to the block size: cut the file back to its bytes.
      await handle.truncate(position);
    }
    return handle;
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    if ((error as NodeJS.ErrnoException).code !== 'EINVAL') throw error;
    directWorks = false;
    return undefined;
  } finally {
    directBuffers.push(buffer);
  }
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
