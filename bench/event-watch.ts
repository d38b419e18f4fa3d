import { watch } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { LineClient } from '../test/helpers/sockets.js';
import type { BenchService } from './service.js';

export interface ManifestSummary {
  state: string;
  frames: unknown[];
  missing: unknown[];
  stacks: unknown[];
}

export interface TimedEvent {
  dir: string;
  /** From SNAP sent to each point, ms. */
  replyMs: number;
  firstFileMs: number;
  completeMs: number;
  manifest: ManifestSummary;
}

const MANIFEST = 'event.json';

/** A final file name: not a hidden temp file, not the manifest. */
function isFrameFile(name: string): boolean {
  return !name.startsWith('.') && name !== MANIFEST;
}

/**
 * Sends SNAP over an already open line connection (so connecting is not
 * timed) and times, from the moment it is sent, the reply, the first file
 * renamed into place, and event.json appearing (written last, atomically).
 * inotify (fs.watch) sees the renames as they happen; a slow poll backs it
 * up, and one readdir covers files renamed before the watch started.
 */
export async function timedSnap(linePort: number, command: string, timeoutMs = 120_000): Promise<TimedEvent> {
  const client = await LineClient.connect(linePort);
  let reply: string;
  const t0 = performance.now();
  try {
    reply = await client.command(command);
  } finally {
    client.destroy();
  }
  const replyMs = performance.now() - t0;
  const parts = reply.split(' ');
  if (parts[0] !== 'OK' || parts[2] === undefined) throw new Error(`${command} answered ${reply}`);
  const dir = parts[2];
  let firstFileMs = Number.NaN;
  let completeMs = Number.NaN;
  const seen = (name: string | null): void => {
    if (name === null) return;
    const at = performance.now() - t0;
    if (isFrameFile(name) && Number.isNaN(firstFileMs)) firstFileMs = at;
    if (name === MANIFEST && Number.isNaN(completeMs)) completeMs = at;
  };
  const watcher = watch(dir, (_event, name) => seen(name));
  try {
    for (const name of await readdir(dir)) seen(name);
    const deadline = performance.now() + timeoutMs;
    while (Number.isNaN(completeMs)) {
      if (performance.now() > deadline) throw new Error(`${command}: no ${MANIFEST} in ${dir} after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
      for (const name of await readdir(dir)) seen(name);
    }
  } finally {
    watcher.close();
  }
  const manifest = JSON.parse(await readFile(path.join(dir, MANIFEST), 'utf8')) as ManifestSummary;
  // A manifest-only event (nothing written) has no first file; say so instead of a time.
  if (manifest.frames.length === 0) firstFileMs = Number.NaN;
  return { dir, replyMs, firstFileMs, completeMs, manifest };
}

/**
 * One unmeasured export on a fresh service: the first event pays one-time
 * costs (sharp and libvips start-up, the thread pool, JIT) that are not
 * export throughput.
 */
export async function warmUpExport(linePort: number): Promise<void> {
  await timedSnap(linePort, 'SNAP before=0.5 after=0 formats=jpg,png,npy');
}

export interface CaptureDuringExport {
  /** Frames the source should have delivered at the asked rate while the export ran, less those it did. */
  lost: number;
  /** The source's own dropped counter (frames it produced but could not take in). */
  dropped: number;
  captureFps: number;
  fpsBefore: number;
  fpsAfter: number;
}

/**
 * One SNAP, timed, with the capture counters read just before it and just
 * after its manifest appeared: an export that starves capture shows up as
 * frames lost (the synthetic source skips ahead after a stall rather than
 * bursting) or as the source's dropped counter rising.
 */
export async function snapWithCapture(bench: BenchService, command: string, askedFps = 30): Promise<{ event: Awaited<ReturnType<typeof timedSnap>>; capture: CaptureDuringExport; seconds: number }> {
  const before = await bench.status();
  const event = await timedSnap(bench.service.linePort, command);
  const after = await bench.status();
  const seconds = (after.atMs - before.atMs) / 1000;
  const captured = after.captured - before.captured;
  return {
    event,
    seconds,
    capture: {
      lost: Math.max(0, Math.floor(seconds * askedFps) - captured),
      dropped: after.dropped - before.dropped,
      captureFps: captured / seconds,
      fpsBefore: before.fps,
      fpsAfter: after.fps,
    },
  };
}
