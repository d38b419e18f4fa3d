import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root, from dist/test/helpers/ or test/helpers/. */
export const ROOT = path.resolve(fileURLToPath(new URL('.', import.meta.url)), fileURLToPath(import.meta.url).includes('/dist/') ? '../../..' : '../..');
export const MAIN = path.join(ROOT, 'dist/src/main.js');

export interface LogLine {
  level: string;
  msg: string;
  [key: string]: unknown;
}

/** A real picam process on free loopback ports, with its own temp folder. */
export interface Service {
  dir: string;
  configFile: string;
  eventsDir: string;
  grpcAddress: string;
  linePort: number;
  /** Base URL of the HTTP server (metrics, live page, event files); empty when it is off. */
  httpUrl: string;
  logs: LogLine[];
  /** Resolves with the first log line matching, waiting for it if needed. */
  waitForLog(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** SIGTERM, then the exit code; the temp folder is removed unless `keep`. */
  stop(options?: { keep?: boolean; signal?: NodeJS.Signals }): Promise<number | null>;
  /** Removes the temp folder (after a `stop({ keep: true })`). */
  remove(): Promise<void>;
}

export type ConfigOverrides = Record<string, Record<string, unknown>>;

/** Small frames keep the suite fast on two cores. */
export function testConfig(eventsDir: string, overrides: ConfigOverrides = {}): Record<string, unknown> {
  const base: ConfigOverrides = {
    camera: { source: 'synthetic', width: 320, height: 240, framerate: 30, synthetic_cycle_frames: 0 },
    ring: { frames: 120 },
    export: { base_dir: eventsDir, save_before_s: 0.5, save_after_s: 0.5, shutdown_grace_s: 5 },
    network: { host: '127.0.0.1', port: 0, grpc_port: 0, http_port: 0, reply_linger_s: 0.3 },
    logging: { level: 'info' },
  };
  // `ring` takes one of frames/seconds/max_bytes, so an override replaces it whole.
  for (const [section, fields] of Object.entries(overrides)) base[section] = section === 'ring' ? fields : { ...base[section], ...fields };
  return base;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface StartOptions {
  /** Extra environment for the service process (PATH with fake camera tools, their knobs). */
  env?: Record<string, string>;
  /** Folders put first on PATH. */
  pathPrepend?: string[];
  /** Wait for this many frames before returning (0: only for "listening"). */
  frames?: number;
  /** Command the service runs under, e.g. `ip netns exec <ns>` (test/helpers/netns.ts); it must exec node, keeping the pid. */
  prefix?: string[];
  /**
   * `frames`: the service counts time in synthetic frames (PICAM_CLOCK=frames,
   * src/core/clock.ts), so frame n is at t0 + n / fps and a 1 s window at 30 fps
   * is exactly 30 frames however loaded the machine.
   */
  clock?: 'frames';
}

export const FIXTURES = path.join(ROOT, 'test/fixtures');

export async function startService(overrides: ConfigOverrides = {}, options: StartOptions = {}): Promise<Service> {
  const dir = await mkdtemp(path.join(tmpdir(), 'picam-test-'));
  const eventsDir = path.join(dir, 'events');
  const configFile = path.join(dir, 'config.json');
  await writeFile(configFile, JSON.stringify(testConfig('events', overrides), null, 2));
  const env: NodeJS.ProcessEnv = { ...process.env, ...(options.clock ? { PICAM_CLOCK: options.clock } : {}), ...options.env };
  if (options.pathPrepend) env.PATH = [...options.pathPrepend, env.PATH ?? ''].join(path.delimiter);
  const argv = [...(options.prefix ?? []), process.execPath, MAIN, '--config', configFile];
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env });
  running.add(child);
  const logs: LogLine[] = [];
  const waiters = new Set<() => void>();
  let stderr = '';
  let pendingOut = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    pendingOut += chunk;
    const lines = pendingOut.split('\n');
    pendingOut = lines.pop() ?? '';
    for (const text of lines) {
      if (text.trim() === '') continue;
      try {
        logs.push(JSON.parse(text) as LogLine);
      } catch {
        logs.push({ level: 'raw', msg: text });
      }
    }
    for (const wake of waiters) wake();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => {
    running.delete(child);
    for (const wake of waiters) wake();
    resolve(code);
  }));

  const waitForLog = (match: (line: LogLine) => boolean, timeoutMs = 15000): Promise<LogLine> =>
    new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = logs.find(match);
        if (found) {
          cleanup();
          resolve(found);
          return true;
        }
        if (child.exitCode !== null) {
          cleanup();
          reject(new Error(`service exited (${child.exitCode}) before the expected log line; stderr: ${stderr}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for a log line; last logs: ${JSON.stringify(logs.slice(-5))} stderr: ${stderr}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        waiters.delete(wake);
      };
      const wake = (): void => void check();
      if (!check()) waiters.add(wake);
    });

  let listening: LogLine;
  try {
    listening = await waitForLog((line) => line.msg.startsWith('listening'));
  } catch (error) {
    // A service that never came up leaves no process and no temp folder behind.
    if (child.exitCode === null) child.kill('SIGKILL');
    await exited;
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  // A service bound to one address (inside a test's network namespace) is reached there.
  const configuredHost = overrides.network?.host;
  const host = typeof configuredHost === 'string' && configuredHost !== '0.0.0.0' ? configuredHost : '127.0.0.1';
  const httpUrl = typeof listening.http_port === 'number' ? `http://${host}:${String(listening.http_port)}` : '';
  if (options.frames) {
    if (httpUrl === '') throw new Error('startService: the frames option reads /api/status and needs the HTTP port');
    const token = overrides.network?.token;
    const headers: Record<string, string> = typeof token === 'string' && token !== '' ? { Authorization: `Bearer ${token}` } : {};
    const deadline = Date.now() + 15_000;
    for (;;) {
      const status = (await (await fetch(`${httpUrl}/api/status`, { headers })).json()) as { source: { frames_captured: number } };
      if (status.source.frames_captured >= options.frames) break;
      if (Date.now() > deadline) throw new Error(`startService: only ${status.source.frames_captured} of ${options.frames} frames within 15 s`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return {
    dir,
    configFile,
    eventsDir,
    grpcAddress: `${host}:${String(listening.grpc_port)}`,
    linePort: Number(listening.line_port),
    httpUrl,
    logs,
    waitForLog,
    async stop(options = {}) {
      if (child.exitCode === null) child.kill(options.signal ?? 'SIGTERM');
      const code = await exited;
      if (!options.keep) await rm(dir, { recursive: true, force: true });
      return code;
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Runs the service binary to completion (for flags and bad configs). */
export function runService(args: string[], cwd = ROOT): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
