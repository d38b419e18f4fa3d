import { readdir, readFile, rm, rmdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { eventTimeMs, isEventId } from './event-id.js';
import { MANIFEST_FILE, MANIFEST_VERSION, upgradeManifest, type Manifest } from './manifest.js';

const DATE_FOLDER = /^\d{4}-\d{2}-\d{2}$/;

export interface RetentionPolicy {
  /** Bytes all events may take; 0 = no limit. */
  maxBytes: number;
  /** Days an event is kept; 0 = forever. */
  maxAgeDays: number;
}

export interface RetentionResult {
  deleted: string[];
  bytesFreed: number;
  bytesKept: number;
}

interface EventFolder {
  id: string;
  dir: string;
  bytes: number;
}

/** Every event folder under `baseDir`, oldest first, with its size. */
async function eventFolders(baseDir: string): Promise<EventFolder[]> {
  const folders: EventFolder[] = [];
  const dates = (await readdir(baseDir).catch(() => [] as string[])).filter((d) => DATE_FOLDER.test(d)).sort();
  for (const date of dates) {
    const ids = (await readdir(path.join(baseDir, date)).catch(() => [] as string[])).filter(isEventId).sort();
    for (const id of ids) {
      const dir = path.join(baseDir, date, id);
      let bytes = 0;
      for (const name of await readdir(dir).catch(() => [] as string[])) bytes += (await stat(path.join(dir, name)).catch(() => ({ size: 0 }))).size;
      folders.push({ id, dir, bytes });
    }
  }
  return folders;
}

/**
 * Deletes events past their age, then the oldest until the total fits the
 * budget. An event still being written is never touched; date folders left
 * empty are removed too.
 */
export async function enforceRetention(baseDir: string, policy: RetentionPolicy, isPending: (id: string) => boolean, nowMs = Date.now()): Promise<RetentionResult> {
  const result: RetentionResult = { deleted: [], bytesFreed: 0, bytesKept: 0 };
  if (policy.maxBytes <= 0 && policy.maxAgeDays <= 0) return result;
  const folders = await eventFolders(baseDir);
  let total = folders.reduce((sum, f) => sum + f.bytes, 0);
  const oldestAllowed = policy.maxAgeDays > 0 ? nowMs - policy.maxAgeDays * 86_400_000 : -Infinity;
  const newest = folders.at(-1)?.id;
  for (const folder of folders) {
    if (isPending(folder.id)) continue;
    const tooOld = eventTimeMs(folder.id) < oldestAllowed;
    // The budget never takes the newest event: a budget smaller than one event must not erase every save.
    const overBudget = policy.maxBytes > 0 && total > policy.maxBytes && folder.id !== newest;
    if (!tooOld && !overBudget) continue;
    await rm(folder.dir, { recursive: true, force: true });
    total -= folder.bytes;
    result.deleted.push(folder.id);
    result.bytesFreed += folder.bytes;
    await rmdir(path.dirname(folder.dir)).catch(() => undefined); // only succeeds when empty
  }
  result.bytesKept = total;
  return result;
}

export interface RepairResult {
  tempFilesRemoved: number;
  manifestsWritten: string[];
  /** Events whose `complete` manifest listed files that are not there: now `partial`. */
  manifestsCorrected: string[];
}

/**
 * Start-up check after a crash: removes half-written temp files, gives a
 * folder without a manifest a `partial` one listing the frames that did make
 * it to disk, and turns a `complete` manifest whose files are not all there
 * into `partial`, so every event folder reads back with an honest state.
 */
export async function repairEvents(baseDir: string): Promise<RepairResult> {
  const result: RepairResult = { tempFilesRemoved: 0, manifestsWritten: [], manifestsCorrected: [] };
  for (const folder of await eventFolders(baseDir)) {
    const names = await readdir(folder.dir).catch(() => [] as string[]);
    for (const name of names.filter((n) => n.startsWith('.') && n.endsWith('.tmp'))) {
      await unlink(path.join(folder.dir, name)).catch(() => undefined);
      result.tempFilesRemoved++;
    }
    if (names.includes(MANIFEST_FILE)) {
      if (await correctManifest(folder.dir, new Set(names))) result.manifestsCorrected.push(folder.id);
      continue;
    }
    const frames = new Map<number, string[]>();
    for (const name of names.filter((n) => /^\d{10}_/.test(n))) {
      const id = Number(name.slice(0, 10));
      frames.set(id, [...(frames.get(id) ?? []), name].sort());
    }
    const timeMs = eventTimeMs(folder.id);
    const manifest: Manifest = {
      version: MANIFEST_VERSION,
      event_id: folder.id,
      state: 'partial',
      trigger: { source: 'unknown', reason: '', label: '', time: new Date(timeMs).toISOString(), time_ms: timeMs, monotonic_ms: 0 },
      window: { before_s: 0, after_s: 0, start: '', end: '', start_monotonic_ms: 0, end_monotonic_ms: 0 },
      formats: [],
      frames: [...frames.entries()]
        .sort(([a], [b]) => a - b)
        .map(([id, files]) => ({ frame_id: id, capture_time: '', capture_time_ms: 0, monotonic_ms: 0, dark_score: 0, night: false, exposure_us: 0, gain: 0, tier: 'unknown', files })),
      missing: [{ first_id: 0, last_id: 0, reason: 'the service stopped before the event was finished; recovered at the next start from the files on disk' }],
      stacks: [],
      error: 'recovered after an unclean stop',
      finished: new Date().toISOString(),
      bytes: folder.bytes,
    };
    await writeFileAtomic(path.join(folder.dir, MANIFEST_FILE), [Buffer.from(JSON.stringify(manifest, null, 2) + '\n')]);
    result.manifestsWritten.push(folder.id);
  }
  return result;
}

/** A `complete` manifest must match the files beside it; if files are gone, it says `partial` and which. */
async function correctManifest(dir: string, present: Set<string>): Promise<boolean> {
  let manifest: Manifest;
  try {
    // Old (version 1) manifests read in today's shape; one that has to be corrected is rewritten in it.
    manifest = upgradeManifest(JSON.parse(await readFile(path.join(dir, MANIFEST_FILE), 'utf8')));
  } catch {
    return false; // unreadable manifests are left for a person to look at
  }
  if (manifest.state !== 'complete' || !Array.isArray(manifest.frames)) return false;
  const lost = manifest.frames.filter((frame) => frame.files.some((file) => !present.has(file)));
  if (lost.length === 0) return false;
  manifest.state = 'partial';
  manifest.missing = [
    ...(manifest.missing ?? []),
    ...lost.map((frame) => ({ first_id: frame.frame_id, last_id: frame.frame_id, reason: 'files missing from the folder at start-up' })),
  ];
  await writeFileAtomic(path.join(dir, MANIFEST_FILE), [Buffer.from(JSON.stringify(manifest, null, 2) + '\n')]);
  return true;
}
