import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../test/helpers/service.js';
import { releaseFolder, trackChild, trackFolder } from './cleanup.js';
import { childLines, sample, type ProcSample } from './proc.js';
import type { Scene } from './scene.js';
import { REFERENCE_PYTHON } from './tools.js';

/** One trigger of the seed's service, timed from the moment the bench sent SNAP (wall clock, shared with Python). */
export interface SeedEvent {
  firstFileMs: number;
  /** To the last file written: the seed writes no manifest. */
  completeMs: number;
  frames: number;
  captureFps: number;
  /** Frames the camera delivered at the asked rate while the trigger ran that the capture thread did not take. */
  lost: number;
}

export interface SeedSettings {
  fps: number;
  ringFrames: number;
  formats: string;
  beforeS: number;
  afterS: number;
}

export interface SeedService {
  pid: number;
  snap(): Promise<SeedEvent>;
  sample(): Promise<ProcSample>;
  stop(): Promise<void>;
}

interface SeedRecord {
  ready?: boolean;
  port?: number;
  pid?: number;
  event?: number;
  trigger_at?: number;
  first_file_at?: number | null;
  complete_at?: number;
  frames?: number;
  captured_at_trigger?: number;
  captured_at_complete?: number;
}

const SCRIPT = path.join(ROOT, 'bench/reference/seed_service.py');

/** The seed's stdout as JSON records, one awaited at a time. */
function jsonLines(child: ChildProcess): (what: string) => Promise<SeedRecord> {
  const next = childLines(child, 'bench/reference/seed_service.py');
  return async (what) => JSON.parse(await next(what)) as SeedRecord;
}

/**
 * The seed's own service loop (bench/reference/seed_service.py: capture
 * thread into a deque ring, trigger port, cv2.imwrite / np.save) on the
 * scene's frames as RGB, the seed's `codec: 'rgb'`. Each setting is a fresh
 * process: the seed has no command to change one.
 */
export async function startSeedService(scene: Scene, settings: SeedSettings): Promise<SeedService> {
  const dir = trackFolder(await mkdtemp(path.join(os.tmpdir(), 'picam-bench-seed-')));
  const [width, height] = scene.size;
  const child = trackChild(spawn(REFERENCE_PYTHON, [
    SCRIPT, '--frames', scene.rgbFile, '--width', String(width), '--height', String(height),
    '--fps', String(settings.fps), '--ring-frames', String(settings.ringFrames), '--formats', settings.formats,
    '--before-s', String(settings.beforeS), '--after-s', String(settings.afterS), '--base-dir', dir,
  ], { stdio: ['ignore', 'pipe', 'inherit'] }));
  const next = jsonLines(child);
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
    releaseFolder(dir);
  };
  let ready: SeedRecord;
  try {
    ready = await next('listening');
  } catch (error) {
    await stop();
    throw error;
  }
  const port = ready.port!;
  const pid = ready.pid!;
  return {
    pid,
    sample: () => sample(pid),
    stop,
    async snap() {
      const sentAt = Date.now();
      await new Promise<void>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => socket.end('SNAP\n'));
        socket.on('error', reject);
        socket.on('close', () => resolve());
      });
      const record = await next('the event');
      const seconds = record.complete_at! - record.trigger_at!;
      const captured = record.captured_at_complete! - record.captured_at_trigger!;
      return {
        firstFileMs: record.first_file_at == null ? Number.NaN : record.first_file_at * 1000 - sentAt,
        completeMs: record.complete_at! * 1000 - sentAt,
        frames: record.frames!,
        captureFps: captured / seconds,
        lost: Math.max(0, Math.floor(seconds * settings.fps) - captured),
      };
    },
  };
}
