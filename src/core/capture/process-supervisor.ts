import type net from 'node:net';
import { execa, type ResultPromise } from 'execa';
import { openFramePipe, type FramePipeReader } from './frame-pipe.js';

export interface Command {
  file: string;
  args: string[];
}

export interface SupervisorHooks {
  /** The command to run; asked again at every (re)start, so new settings apply. */
  command(): Command;
  /** A new process is about to produce output: drop any half frame. */
  reset(): void;
  /** Reads its stdout into the buffers this gives (ring slots). */
  reader: FramePipeReader;
  /** Rate-limited stderr lines of the tool; `important` for error lines (logged as warnings). */
  log(line: string, important: boolean): void;
  error(message: string): void;
  /** No frame for this long means the tool hangs (it grows with night exposures). */
  stallMs(): number;
}

const BACKOFF_MIN_MS = 500;
/** A process that delivered frames this long counts as healthy: backoff starts over. */
const HEALTHY_MS = 10_000;
/** The first frame may take a while (sensor start-up, ffmpeg probing). */
const STARTUP_GRACE_MS = 5_000;
const STDERR_LINES_PER_WINDOW = 10;
const STDERR_WINDOW_MS = 10_000;
/**
 * A line that reports a failure. These have their own budget, so start-up
 * chatter (a dozen libcamera INFO lines at each start of rpicam-vid when it
 * is not quiet) cannot use up the lines that say why the camera failed.
 */
const ERROR_LINE = /\b(error|failed|failure|fatal|timeout|cannot|unable|no camera|not supported)\b/i;

/**
 * Runs a camera tool and keeps it running: restarts it with exponential
 * backoff and jitter when it exits, and kills and restarts it when it stops
 * delivering frames. Never throws out: a dead camera is reported, not fatal.
 */
export class ProcessSupervisor {
  private child: ResultPromise | undefined;
  private stopping = false;
  private failures = 0;
  private restartCount = 0;
  private lastErrorText = '';
  private startedAt = 0;
  private lastFrameAt = 0;
  private watchdog: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private stderrWindowStart = 0;
  private stderrLines = 0;
  private errorLines = 0;
  private stderrSuppressed = 0;
  /** Settles when the last process started is gone: the camera is held until then. */
  private lastExit: Promise<unknown> = Promise.resolve();
  private lastChild: ResultPromise | undefined;
  private spawning = false;

  constructor(
    private readonly name: string,
    private readonly hooks: SupervisorHooks,
    /** Longest restart delay (camera.restart_backoff_max_s). */
    private readonly backoffMaxMs = 30_000,
  ) {}

  get restarts(): number {
    return this.restartCount;
  }

  get lastError(): string {
    return this.lastErrorText;
  }

  start(): void {
    this.stopping = false;
    this.spawnUnlessStopped();
    this.watchdog = setInterval(() => this.checkStall(), 250);
  }

  /** Call for every frame delivered. */
  frameArrived(): void {
    this.lastFrameAt = performance.now();
    if (this.failures > 0 && this.lastFrameAt - this.startedAt > HEALTHY_MS) this.failures = 0;
  }

  /** Restarts the tool now (new settings), without counting a failure. */
  restart(): void {
    if (this.stopping) return;
    const child = this.child;
    this.child = undefined;
    child?.kill('SIGTERM');
    this.spawnUnlessStopped(); // waits for the old process to exit
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.watchdog);
    clearTimeout(this.retry);
    const child = this.child;
    this.child = undefined;
    if (child) {
      child.kill('SIGTERM');
      await this.lastExit; // the process, not its pipes (see spawn)
    }
  }

  private spawnUnlessStopped(): void {
    if (!this.stopping && !this.child && !this.spawning) {
      this.spawning = true;
      void this.spawn().finally(() => (this.spawning = false));
    }
  }

  private async spawn(): Promise<void> {
    // A camera is held until the process using it has exited (rpicam-vid: "failed to acquire camera"
    // otherwise, and a backoff step lost). A killed one that ignores SIGTERM is SIGKILLed after 2 s.
    const previous = this.lastChild;
    if (previous && previous.exitCode === null && previous.signalCode === null) {
      this.hooks.log(`waiting for the previous ${this.name} (pid ${previous.pid}) to exit before starting it again`, false);
    }
    await this.lastExit;
    if (this.stopping) return;
    const { file, args } = this.hooks.command();
    this.hooks.reset();
    this.startedAt = performance.now();
    this.lastFrameAt = 0;
    let pipe;
    try {
      pipe = await openFramePipe(this.hooks.reader);
    } catch (error) {
      this.fail(`cannot make a pipe for ${this.name}: ${(error as Error).message}`);
      return;
    }
    if (this.stopping) {
      pipe.handedOver();
      pipe.socket.destroy();
      return;
    }
    const child = execa(file, args, {
      // A socket is passed through to child_process, which gives the child a copy of it as fd 1.
      stdio: ['ignore', pipe.childEnd, 'pipe'],
      buffer: false,
      reject: false,
      // A tool that ignores SIGTERM (a hung camera stack) is killed for good.
      forceKillAfterDelay: 2000,
      cleanup: true,
    });
    this.child = child;
    this.lastChild = child;
    // The process itself is gone on 'exit' (a grandchild may still hold its pipes; that does not hold the camera).
    this.lastExit = Promise.race([new Promise((resolve) => child.once('exit', resolve).once('error', resolve)), child.catch(() => undefined)]);
    pipe.handedOver();
    const stdout: net.Socket = pipe.socket;
    stdout.on('error', () => undefined); // the process exit reports the failure
    void child.finally(() => stdout.destroy());
    let pending = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      pending += text;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) if (line.trim() !== '') this.logStderr(line.trim());
    });
    // Judged on 'exit', not on execa's result: that waits for stdio to close, which never happens while a
    // grandchild the tool left behind holds the pipes, and the camera would never be restarted. Closing our
    // ends makes such a grandchild fail on its next write instead of feeding frames into the next run.
    child.once('exit', (code, signal) => {
      stdout.destroy();
      child.stderr.destroy();
      if (this.child !== child) return; // replaced on purpose (restart/stop)
      this.child = undefined;
      this.fail(`${this.name} ${signal ? `killed by ${signal}` : `exited with code ${code}`}`);
    });
    void child.then((result) => {
      if (this.child !== child) return; // exited (above), or replaced on purpose
      this.child = undefined;
      this.fail(`${this.name} ${result.shortMessage}`); // never started (e.g. not found)
    });
  }

  private checkStall(): void {
    if (!this.child) return;
    const now = performance.now();
    const since = this.lastFrameAt > 0 ? now - this.lastFrameAt : now - this.startedAt - STARTUP_GRACE_MS;
    const limit = this.hooks.stallMs();
    if (since <= limit) return;
    const child = this.child;
    this.child = undefined;
    child.kill('SIGTERM');
    this.fail(`${this.name} stalled: no frame for ${(Math.max(since, limit) / 1000).toFixed(1)} s`);
  }

  private fail(message: string): void {
    this.lastErrorText = message;
    this.hooks.error(message);
    if (this.stopping) return;
    const base = Math.min(this.backoffMaxMs, BACKOFF_MIN_MS * 2 ** this.failures);
    const delay = base * (0.8 + 0.4 * Math.random());
    this.failures++;
    this.restartCount++;
    clearTimeout(this.retry);
    this.retry = setTimeout(() => this.spawnUnlessStopped(), delay);
  }

  private logStderr(line: string): void {
    const now = performance.now();
    if (now - this.stderrWindowStart > STDERR_WINDOW_MS) {
      if (this.stderrSuppressed > 0) this.hooks.log(`(${this.stderrSuppressed} more lines from ${this.name} not logged)`, false);
      this.stderrWindowStart = now;
      this.stderrLines = 0;
      this.errorLines = 0;
      this.stderrSuppressed = 0;
    }
    const important = ERROR_LINE.test(line);
    if (important ? this.errorLines++ < STDERR_LINES_PER_WINDOW : this.stderrLines++ < STDERR_LINES_PER_WINDOW) this.hooks.log(line, important);
    else this.stderrSuppressed++;
  }
}
