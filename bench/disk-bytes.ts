import { mkdtemp, open, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from '../src/core/fs/atomic-write.js';
import { releaseFolder, trackFolder } from './cleanup.js';

export type DiskMode = 'page-cache' | 'buffered-fdatasync' | 'picam';

/** What the disk does with the bytes of one npy frame, by write scheme: files/s and this process's CPU ms per file. */
export interface DiskRate {
  mode: DiskMode;
  parallel: number;
  filesPerS: number;
  cpuMs: number;
}

/**
 * The npy export's yardstick: `files` new files of `bytes` each, written
 * `parallel` at a time into a fresh folder beside the bench's events:
 * - page-cache: write and close, no sync (what the seed's np.save does);
 * - buffered-fdatasync: write, fdatasync, rename (a durable buffered write);
 * - picam: writeFileAtomic (O_DIRECT for large files, fdatasync, rename).
 * It separates what durability costs on this disk from what picam's export adds.
 */
export async function diskRate(mode: DiskMode, bytes: number, files: number, parallel: number): Promise<DiskRate> {
  const dir = trackFolder(await mkdtemp(path.join(os.tmpdir(), 'picam-bench-disk-')));
  const data = Buffer.alloc(bytes, 0x5a);
  let next = 0;
  const one = async (i: number): Promise<void> => {
    const file = path.join(dir, `f${i}.npy`);
    if (mode === 'picam') {
      await writeFileAtomic(file, [data]);
      return;
    }
    const temp = `${file}.tmp`;
    const handle = await open(temp, 'wx');
    try {
      await handle.write(data);
      if (mode === 'buffered-fdatasync') await handle.datasync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  };
  try {
    const cpu = process.cpuUsage();
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: parallel }, async () => {
        while (next < files) await one(next++);
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    const used = process.cpuUsage(cpu);
    return { mode, parallel, filesPerS: files / seconds, cpuMs: (used.user + used.system) / 1000 / files };
  } finally {
    await rm(dir, { recursive: true, force: true });
    releaseFolder(dir);
  }
}
