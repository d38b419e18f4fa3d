import { readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { PicamError } from '../errors.js';
import { checkEventId, eventDateFolder, eventTimeMs, isEventId } from './event-id.js';
import type { PendingTrigger } from './exporter.js';
import { MANIFEST_FILE, upgradeManifest, type EventState, type Manifest, type ManifestFrame } from './manifest.js';

export interface EventSummary {
  eventId: string;
  dir: string;
  state: EventState;
  triggerMs: number;
  triggerSource: string;
  reason: string;
  frameCount: number;
  bytes: number;
}

export interface EventDetail {
  summary: EventSummary;
  frames: ManifestFrame[];
}

const DATE_FOLDER = /^\d{4}-\d{2}-\d{2}$/;
/** What an event folder's finished files look like (temp files start with a dot). */
const SAVED_FILE = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

/**
 * Reads events back from disk. The folders are the truth: an event is
 * whatever `<base_dir>/<date>/<id>/` holds, so events survive restarts and
 * operators may delete folders by hand. A folder with no manifest is either
 * still being written (pending) or was cut by a crash (partial).
 */
export class EventStore {
  constructor(
    private readonly baseDir: () => string,
    /** The trigger of an event still being written, undefined for any other. */
    private readonly pendingTrigger: (eventId: string) => PendingTrigger | undefined,
  ) {}

  dirOf(eventId: string): string {
    return path.join(this.baseDir(), eventDateFolder(eventId), eventId);
  }

  /** Event ids, newest first, older than `before` when given. */
  async listIds(limit: number, before?: string): Promise<string[]> {
    const dates = (await readdirOrEmpty(this.baseDir())).filter((d) => DATE_FOLDER.test(d)).sort().reverse();
    const ids: string[] = [];
    for (const date of dates) {
      const inDay = (await readdirOrEmpty(path.join(this.baseDir(), date)))
        .filter((id) => isEventId(id) && (before === undefined || id < before))
        .sort()
        .reverse();
      for (const id of inDay) {
        ids.push(id);
        if (ids.length >= limit) return ids;
      }
    }
    return ids;
  }

  async get(eventId: string): Promise<EventDetail> {
    checkEventId(eventId);
    const dir = this.dirOf(eventId);
    const manifest = await readManifest(dir);
    if (manifest) {
      return {
        summary: {
          eventId,
          dir,
          state: manifest.state,
          triggerMs: manifest.trigger.time_ms,
          triggerSource: manifest.trigger.source,
          reason: manifest.trigger.reason,
          frameCount: manifest.frames.length,
          bytes: await folderBytes(dir),
        },
        frames: manifest.frames,
      };
    }
    const pending = this.pendingTrigger(eventId);
    let files: string[];
    try {
      files = await readdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new PicamError('NOT_FOUND', `event ${eventId} not found`, { field: 'event_id' });
      throw PicamError.from(error);
    }
    return {
      summary: {
        eventId,
        dir,
        state: pending ? 'pending' : 'partial',
        triggerMs: eventTimeMs(eventId),
        triggerSource: pending?.source ?? '',
        reason: pending?.reason ?? '',
        frameCount: new Set(files.filter((f) => !f.startsWith('.')).map((f) => f.split('.')[0])).size,
        bytes: await folderBytes(dir),
      },
      frames: [],
    };
  }

  /**
   * The path of one saved file of an event, for serving it. Only plain names
   * inside the event folder: no separators, no dot files (temp files and
   * anything outside the folder stay unreachable).
   */
  async filePath(eventId: string, name: string): Promise<string> {
    checkEventId(eventId);
    if (!SAVED_FILE.test(name)) throw new PicamError('INVALID_ARGUMENT', `file: expected a file name such as 000123.jpg, received ${JSON.stringify(name.slice(0, 64))}`, { field: 'file' });
    const file = path.join(this.dirOf(eventId), name);
    try {
      if ((await stat(file)).isFile()) return file;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw PicamError.from(error);
    }
    throw new PicamError('NOT_FOUND', `event ${eventId} has no file ${name}`, { field: 'file' });
  }

  /** Names of an event's saved files (temp files excluded), sorted. */
  async fileNames(eventId: string): Promise<string[]> {
    checkEventId(eventId);
    try {
      return (await readdir(this.dirOf(eventId))).filter((name) => SAVED_FILE.test(name)).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new PicamError('NOT_FOUND', `event ${eventId} not found`, { field: 'event_id' });
      throw PicamError.from(error);
    }
  }

  /** Deletes a finished event; returns the bytes freed. */
  async delete(eventId: string): Promise<number> {
    checkEventId(eventId);
    if (this.pendingTrigger(eventId)) {
      throw new PicamError('FAILED_PRECONDITION', `event ${eventId} is still being written`, { field: 'event_id' });
    }
    const dir = this.dirOf(eventId);
    const bytes = await folderBytes(dir).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new PicamError('NOT_FOUND', `event ${eventId} not found`, { field: 'event_id' });
      throw PicamError.from(error);
    });
    await rm(dir, { recursive: true, force: true });
    return bytes;
  }
}

async function readManifest(dir: string): Promise<Manifest | undefined> {
  try {
    // Events written by older versions stay readable: version 1 frames are renamed on read.
    return upgradeManifest(JSON.parse(await readFile(path.join(dir, MANIFEST_FILE), 'utf8')));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw PicamError.from(error);
  }
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw PicamError.from(error);
  }
}

async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  // An event being written renames temp files as we go: one may vanish between readdir and stat.
  for (const name of await readdir(dir)) total += (await stat(path.join(dir, name)).catch(() => ({ size: 0 }))).size;
  return total;
}
