import type net from 'node:net';
import { tokenMatches, type Config, type Logger, type Picam } from '../core/index.js';
import type { AuthBackoff } from './auth-backoff.js';
import { runCommand, type CommandResult } from './commands.js';
import type { RateLimitedLog } from './rate-limited-log.js';
import { errLine } from './reply-codes.js';
import { TokenBucket } from './token-bucket.js';

export type ConnectionLimits = Pick<
  Config['network'],
  'idle_timeout_s' | 'reply_linger_s' | 'max_line_bytes' | 'max_triggers_per_s' | 'token' | 'auth_timeout_s'
>;

/** What every connection of one server shares. */
export interface ConnectionContext {
  core: Picam;
  limits: ConnectionLimits;
  backoff: AuthBackoff;
  authLog: RateLimitedLog;
  logger: Logger;
  /** The server is shutting down: finish the command in progress, run no other. */
  closing: () => boolean;
}

/** Wrong AUTH lines a connection may send before it is closed. */
const MAX_AUTH_FAILURES = 3;
/**
 * Reply bytes a connection may leave unsent before the server stops reading
 * its commands (backpressure). A client that pipelines commands and never
 * reads their replies costs at most this plus MAX_UNREAD_INPUT.
 */
export const MAX_UNSENT_BYTES = 64 * 1024;
/** Bytes of received, not yet parsed input past which the server stops reading. */
const MAX_UNREAD_INPUT = 64 * 1024;

/**
 * One line-protocol connection: commands run one at a time in the order
 * sent, one reply line each. Rules enforced here:
 * - Nothing after QUIT, after the third wrong token, or after the
 *   connection was cut (auth deadline, eviction) runs, even if it arrived
 *   in the same write: lines are taken from the input one at a time, only
 *   when the previous command is answered.
 * - Backpressure: while more than MAX_UNSENT_BYTES of replies wait for the
 *   client to read them, no further command is run and the socket is not
 *   read; if that lasts `idle_timeout_s` the connection is closed.
 * - With network.token set, a connection must send the right AUTH within
 *   `auth_timeout_s`; until then it is `authenticated === false` and the
 *   server may evict it to make room.
 * - A line ends at a newline, at the client's half-close, or after
 *   `reply_linger_s` of silence following a partial line; the connection
 *   closes when the client half-closes (once its replies are written), after
 *   `reply_linger_s` with no new input following a reply (OpenBSD nc keeps
 *   its side open after stdin ends), or after `idle_timeout_s` of silence.
 */
export class LineConnection {
  authenticated: boolean;
  readonly openedMs = performance.now();
  readonly peer: string;
  private input = '';
  /** Inside an over-long line: drop bytes until its newline. */
  private discarding = false;
  /** The client half-closed: what is left is its last line. */
  private ended = false;
  /** A pause after a partial line: run it as it is. */
  private flushRequested = false;
  /** No further command runs (QUIT, too many wrong tokens, cut); the socket closes once the replies are out. */
  private shut = false;
  private running = false;
  private authFailures = 0;
  private timer: NodeJS.Timeout | undefined;
  private authTimer: NodeJS.Timeout | undefined;
  /** Triggers this connection may send: a burst of max_triggers_per_s, refilled at that rate. */
  private readonly triggers: TokenBucket;

  constructor(
    private readonly socket: net.Socket,
    private readonly ctx: ConnectionContext,
  ) {
    const { limits } = ctx;
    this.peer = socket.remoteAddress ?? 'unknown';
    this.authenticated = limits.token === '';
    // A burst of at least one: with a rate below 1/s (0.5 = one every 2 s) a bucket of 0.5 would never hold a whole trigger.
    this.triggers = new TokenBucket(Math.max(1, limits.max_triggers_per_s), limits.max_triggers_per_s);
    socket.setEncoding('utf8');
    socket.setNoDelay(true);
    this.arm(limits.idle_timeout_s, () => this.hangUpIfIdle());
    if (!this.authenticated) {
      this.authTimer = setTimeout(() => {
        if (this.authenticated || this.running) return;
        this.cut(errLine('UNAUTHENTICATED', `no AUTH within ${limits.auth_timeout_s} s; closing`));
      }, limits.auth_timeout_s * 1000);
    }
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('end', () => {
      this.ended = true;
      void this.pump();
    });
    socket.on('close', () => {
      clearTimeout(this.timer);
      clearTimeout(this.authTimer);
    });
    socket.on('error', (error) => ctx.logger.debug({ err: error, peer: this.peer }, 'line connection error'));
  }

  /**
   * Closes the connection now unless a command is in progress (that one
   * closes after its reply). An unauthenticated connection goes at once,
   * even while its AUTH is held back: shutdown never waits on a guesser.
   */
  closeIfIdle(): void {
    if (!this.running || !this.authenticated) this.hangUp();
  }

  /** Sends `reply` and closes; nothing else from this connection runs. */
  cut(reply: string): void {
    if (this.shut) return;
    this.shut = true;
    this.write(reply);
    this.hangUp();
  }

  private onData(chunk: string): void {
    if (this.shut) return;
    this.arm(this.ctx.limits.idle_timeout_s, () => this.hangUpIfIdle());
    this.input += chunk;
    if (this.input.length > MAX_UNREAD_INPUT) this.socket.pause();
    void this.pump();
  }

  /** Runs the buffered commands one at a time; only one pump runs at once. */
  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (!this.shut && !this.socket.destroyed) {
        if (this.ctx.closing()) {
          this.shut = true;
          break;
        }
        if (this.socket.writableLength > MAX_UNSENT_BYTES && !(await this.drained())) break;
        const line = this.nextLine();
        if (line === undefined) {
          // Everything received is handled: read more (reading stops while the input is large).
          this.resumeReading();
          break;
        }
        if (line === TOO_LONG) {
          this.write(errLine('BAD_ARGUMENT', `line longer than ${this.ctx.limits.max_line_bytes} bytes, discarded`));
          continue;
        }
        const result = await this.run(line);
        this.write(result.reply);
        if (result.close) this.shut = true;
      }
    } finally {
      this.running = false;
    }
    this.settle();
  }

  private async run(line: string): Promise<CommandResult> {
    return (await this.authenticate(line)) ?? (await runCommand(this.ctx.core, line, () => this.triggers.take()));
  }

  /** With network.token set, nothing but AUTH is answered until the token was sent. */
  private async authenticate(line: string): Promise<CommandResult | undefined> {
    const { limits, backoff } = this.ctx;
    const [word = '', presented] = line.trim().split(/\s+/, 2);
    if (word.toUpperCase() !== 'AUTH') {
      return this.authenticated ? undefined : { reply: errLine('UNAUTHENTICATED', 'send AUTH <token> first') };
    }
    if (limits.token === '') return { reply: 'OK authentication is off' };
    // Held back before the check, right or wrong, so a guesser learns nothing sooner by reconnecting.
    const heldMs = backoff.delayMs(this.peer);
    // unref: a held guess never keeps a stopping process alive.
    if (heldMs > 0) await new Promise((resolve) => setTimeout(resolve, heldMs).unref());
    if (tokenMatches(limits.token, presented)) {
      backoff.succeeded(this.peer);
      this.authenticated = true;
      clearTimeout(this.authTimer);
      return { reply: 'OK authenticated' };
    }
    this.authFailures++;
    const fromAddress = backoff.failed(this.peer);
    const close = this.authFailures >= MAX_AUTH_FAILURES;
    this.ctx.authLog.warn(
      { peer: this.peer, failures: this.authFailures, failures_from_address: fromAddress, held_ms: heldMs, next_delay_ms: backoff.delayMs(this.peer), closing: close },
      `line: wrong token from ${this.peer}${close ? '; connection closed' : ''}`,
    );
    return { reply: errLine('UNAUTHENTICATED', 'wrong token'), close };
  }

  /** The next complete command line, TOO_LONG for an over-long one, or undefined when none is complete yet. */
  private nextLine(): string | typeof TOO_LONG | undefined {
    const max = this.ctx.limits.max_line_bytes;
    for (;;) {
      const newline = this.input.indexOf('\n');
      if (newline < 0) {
        const rest = this.input;
        const flush = this.ended || this.flushRequested;
        this.flushRequested = false;
        if (this.discarding) {
          this.input = '';
          return undefined;
        }
        if (Buffer.byteLength(rest) > max) {
          this.input = '';
          this.discarding = true;
          return TOO_LONG;
        }
        if (flush && rest.trim() !== '') {
          this.input = '';
          return rest.replace(/\r$/, '');
        }
        return undefined;
      }
      const line = this.input.slice(0, newline).replace(/\r$/, '');
      this.input = this.input.slice(newline + 1);
      if (this.discarding) {
        this.discarding = false; // the tail of an over-long line ends here
        continue;
      }
      if (Buffer.byteLength(line) > max) return TOO_LONG;
      if (line.trim() !== '') return line;
    }
  }

  private resumeReading(): void {
    if (!this.shut && this.socket.isPaused() && this.input.length <= MAX_UNREAD_INPUT) this.socket.resume();
  }

  /** Waits until the client has read enough replies; false (and closed) if it stays stuck for idle_timeout_s. */
  private drained(): Promise<boolean> {
    this.socket.pause();
    const { socket } = this;
    return new Promise((resolve) => {
      const done = (ok: boolean): void => {
        clearTimeout(stuck);
        socket.off('drain', onDrain);
        socket.off('close', onClose);
        resolve(ok);
      };
      const onDrain = (): void => done(true);
      const onClose = (): void => done(false);
      const stuck = setTimeout(() => {
        const unsent = socket.writableLength;
        this.shut = true;
        // Said once the socket is closed (and counted out of the gauges), so the log never runs ahead of the state.
        socket.once('close', () =>
          this.ctx.logger.info({ peer: this.peer, unsent_bytes: unsent }, 'line: client does not read its replies; connection closed'),
        );
        socket.destroy();
        done(false);
      }, this.ctx.limits.idle_timeout_s * 1000);
      socket.once('drain', onDrain);
      socket.once('close', onClose);
    });
  }

  /** After the pump: close, or wait for more input. */
  private settle(): void {
    if (this.running || this.socket.destroyed) return;
    if (this.shut || this.ended || this.ctx.closing()) {
      this.hangUp();
      return;
    }
    if (this.input !== '' && !this.discarding) {
      // A client that sends a command without newline and keeps its side open
      // (printf SNAP | nc) is done once it pauses: run what it sent.
      this.arm(this.ctx.limits.reply_linger_s, () => {
        this.flushRequested = true;
        void this.pump();
      });
    } else this.arm(this.ctx.limits.reply_linger_s, () => this.hangUpIfIdle());
  }

  /** Timers never cut a command in progress (SNAP wait); its reply re-arms them. */
  private hangUpIfIdle(): void {
    if (!this.running) this.hangUp();
  }

  private arm(seconds: number, action: () => void): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(action, seconds * 1000);
  }

  private write(line: string): void {
    if (this.socket.writable) this.socket.write(line + '\n');
  }

  /**
   * Our half-close plus a full close once the replies are flushed: with
   * allowHalfOpen a client that never closes its side (OpenBSD nc) would
   * otherwise keep the socket forever, and one that never reads is cut
   * after idle_timeout_s.
   */
  private hangUp(): void {
    this.shut = true;
    clearTimeout(this.authTimer);
    hangUp(this.socket, this.ctx.limits.idle_timeout_s);
  }
}

const TOO_LONG = Symbol('line too long');

/** Half-close, full close once flushed, and a hard close if the client never takes the replies. */
export function hangUp(socket: net.Socket, stuckS: number): void {
  if (socket.destroyed || socket.writableEnded) return;
  const stuck = setTimeout(() => socket.destroy(), stuckS * 1000).unref();
  socket.once('close', () => clearTimeout(stuck));
  if (!socket.writableEnded) socket.end(() => socket.destroy());
}
