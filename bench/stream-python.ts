import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { ROOT } from '../test/helpers/service.js';
import { trackChild } from './cleanup.js';
import { childLines } from './proc.js';
import { CLIENT_PYTHON } from './tools.js';

export interface SubscriberSpec {
  encoding: 'jpeg' | 'raw';
  /** Output width (0 keeps the camera's). */
  width?: number;
  /** Read /live.mjpg at this URL (bench/mjpeg_client.py, JPEG at the page's defaults) instead of StreamFrames. */
  mjpegUrl?: string;
  /** Seconds the subscriber sleeps after each message: a slow detector. */
  sleepPerMessage?: number;
}

/** Per measuring window, as bench/stream_client.py prints it. */
export interface SubscriberResult {
  frames: number[];
  bytes: number[];
  dropped: number[];
  /** Median capture-to-receipt ms per window; null for a window with no frame. */
  age_ms: Array<number | null>;
  /** Every frame's age in ms, over all windows. */
  ages_all_ms: number[];
  window_s: number;
}

interface Subscriber {
  child: ChildProcess;
  ready: Promise<void>;
  result: Promise<SubscriberResult>;
}

const SCRIPT = path.join(ROOT, 'bench/stream_client.py');
/** How long a subscriber may take to exit once it has printed its result: it has nothing left to do. */
const EXIT_GRACE_MS = 10_000;

/** The exit code, or a failure naming the hang (the process killed) when it has not exited in `ms`. */
async function exitedWithin(child: ChildProcess, exited: Promise<number | null>, ms: number): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), ms);
  });
  try {
    const outcome = await Promise.race([exited, late]);
    if (outcome !== 'late') return outcome;
    child.kill('SIGKILL');
    throw new Error(`bench subscriber printed its result but had not exited ${ms / 1000} s later (killed)`);
  } finally {
    clearTimeout(timer);
  }
}
const MJPEG_SCRIPT = path.join(ROOT, 'bench/mjpeg_client.py');

function startSubscriber(address: string, spec: SubscriberSpec, windows: number, windowS: number, prefix: readonly string[]): Subscriber {
  const timing = ['--windows', String(windows), '--window-s', String(windowS)];
  const args = spec.mjpegUrl !== undefined
    ? [MJPEG_SCRIPT, '--url', spec.mjpegUrl, ...timing]
    : [SCRIPT, '--width', String(spec.width ?? 0), '--address', address, '--encoding', spec.encoding, ...timing, '--sleep-per-message', String(spec.sleepPerMessage ?? 0)];
  const argv = [...prefix, CLIENT_PYTHON, ...args];
  const child = trackChild(spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] }));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const nextLine = childLines(child, 'bench/stream_client.py');
  const ready = nextLine('its first frame').then(() => undefined);
  const result = ready.then(async () => {
    const line = await nextLine('its result');
    const code = await exitedWithin(child, exited, EXIT_GRACE_MS);
    if (code !== 0) throw new Error(`bench/stream_client.py exited ${code}`);
    return JSON.parse(line) as SubscriberResult;
  });
  result.catch(() => undefined); // awaited by the caller; here only so an early failure is not unhandled
  return { child, ready, result };
}

/**
 * Runs one subscriber process per spec (separate processes, like separate
 * detectors), waits until each has its first frame, then tells them all the
 * same start time so their windows line up, and calls `during` with it so
 * the service can be sampled over the same windows.
 */
export async function runSubscribers(
  address: string,
  specs: readonly SubscriberSpec[],
  /** `prefix`: the command the clients run under (`ip netns exec <ns>` for the slow-link section). */
  options: { windows: number; windowS: number; warmupS: number; readyTimeoutMs?: number; prefix?: readonly string[] },
  during?: (startWallMs: number) => Promise<void>,
): Promise<SubscriberResult[]> {
  const subscribers = specs.map((spec) => startSubscriber(address, spec, options.windows, options.windowS, options.prefix ?? []));
  try {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Python stream subscribers not streaming after ${(options.readyTimeoutMs ?? 30_000) / 1000} s`)), options.readyTimeoutMs ?? 30_000);
    });
    try {
      await Promise.race([Promise.all(subscribers.map((s) => s.ready)), timeout]);
    } finally {
      clearTimeout(timer);
    }
    const startWallMs = Date.now() + options.warmupS * 1000;
    for (const s of subscribers) s.child.stdin!.end(`${startWallMs / 1000}\n`);
    const sampling = during?.(startWallMs);
    sampling?.catch(() => undefined); // awaited below; a failure must not surface as unhandled meanwhile
    const results = await Promise.all(subscribers.map((s) => s.result));
    await sampling;
    return results;
  } finally {
    for (const s of subscribers) if (s.child.exitCode === null) s.child.kill('SIGKILL');
  }
}
