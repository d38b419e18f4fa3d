import { execFileSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';

/** Clock ticks per second of /proc/<pid>/stat times (`getconf CLK_TCK`, 100 on Linux). */
const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

export interface ProcSample {
  /** user + system CPU of the whole process (all threads, sharp's pool included), ms. */
  cpuMs: number;
  rssMb: number;
  /** performance.now() when taken, so CPU can be divided by the real interval. */
  atMs: number;
}

/** CPU and RSS of another process from /proc: what it cost, not what a timer inside it saw. */
export async function sample(pid: number): Promise<ProcSample> {
  const [stat, status] = await Promise.all([readFile(`/proc/${pid}/stat`, 'utf8'), readFile(`/proc/${pid}/status`, 'utf8')]);
  // The command name may hold spaces and parentheses: fields start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuMs = ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK; // utime, stime
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return { cpuMs, rssMb: rssKb / 1024, atMs: performance.now() };
}

/** Service CPU between two samples as a share of one core (100 = one core busy). */
export function cpuPercent(a: ProcSample, b: ProcSample): number {
  return ((b.cpuMs - a.cpuMs) / (b.atMs - a.atMs)) * 100;
}

export interface Machine {
  cores: number;
  cpuModel: string;
  ramGiB: number;
  node: string;
  kernel: string;
  /** 1-minute load average at the start: a busy machine makes every figure noisier. */
  loadAverage: number;
}

export function machine(): Machine {
  let cpuModel = os.cpus()[0]?.model ?? 'unknown';
  try {
    const model = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1];
    if (model) cpuModel = model.trim();
  } catch {
    // not Linux: os.cpus() is what there is
  }
  return {
    cores: os.cpus().length,
    cpuModel,
    ramGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    kernel: os.release(),
    loadAverage: os.loadavg()[0] ?? 0,
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A child's stdout as lines, one awaited at a time (blank lines skipped);
 * rejects with `name` and the exit status when the child ends before the line.
 */
export function childLines(child: ChildProcess, name: string): (what: string) => Promise<string> {
  const lines: string[] = [];
  let pending = '';
  let wake: (() => void) | undefined;
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    lines.push(...parts.filter((l) => l.trim() !== ''));
    wake?.();
  });
  child.on('exit', () => wake?.());
  return async (what) => {
    while (lines.length === 0) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${name} exited ${child.exitCode ?? child.signalCode} before ${what}`);
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
    return lines.shift()!;
  };
}
