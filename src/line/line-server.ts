import { once } from 'node:events';
import net from 'node:net';
import { tokenMatches, type Config, type Logger, type Picam } from '../core/index.js';
import { runCommand } from './commands.js';
import { errLine } from './reply-codes.js';

export interface LineServer {
  port: number;
  /** Connections open now (for metrics). */
  connections(): number;
  /** Connections accepted since start, including those refused as BUSY. */
  accepted(): number;
  close(): Promise<void>;
}

type Limits = Pick<Config['network'], 'idle_timeout_s' | 'reply_linger_s' | 'max_line_bytes' | 'max_connections' | 'max_triggers_per_s' | 'token'>;

/** Wrong AUTH lines a connection may send before it is closed. */
const MAX_AUTH_FAILURES = 3;

/**
 * The line protocol on TCP (default 9999): one command per line, one reply
 * line per command, several commands per connection, run in order. A line
 * ends at a newline, at the client's half-close, or after `reply_linger_s`
 * of silence following a partial line. A connection closes when the client half-closes (after its replies), after
 * `reply_linger_s` with no new input following a reply (OpenBSD nc keeps its
 * side open after stdin ends), or after `idle_timeout_s` of silence.
 */
export async function startLineServer(core: Picam, host: string, port: number, limits: Limits, logger: Logger): Promise<LineServer> {
  /** Open connections, each with the function that closes it once its command is answered. */
  const sockets = new Map<net.Socket, () => void>();
  let closing = false;
  let accepted = 0;
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    accepted++;
    if (sockets.size >= limits.max_connections) {
      socket.write(errLine('BUSY', `too many connections (max ${limits.max_connections})`) + '\n');
      hangUp(socket);
      return;
    }
    socket.on('close', () => sockets.delete(socket));
    sockets.set(socket, serve(socket));
  });

  function serve(socket: net.Socket): () => void {
    let buffered = '';
    /** Inside an over-long line: drop bytes until its newline. */
    let discarding = false;
    // Token bucket: a burst of max_triggers_per_s, refilled at that rate.
    let tokens = limits.max_triggers_per_s;
    let authenticated = limits.token === '';
    let authFailures = 0;
    let refilled = performance.now();
    const allowTrigger = (): boolean => {
      const now = performance.now();
      tokens = Math.min(limits.max_triggers_per_s, tokens + ((now - refilled) / 1000) * limits.max_triggers_per_s);
      refilled = now;
      if (tokens < 1) return false;
      tokens--;
      return true;
    };
    let queue = Promise.resolve();
    let pending = 0;
    let ended = false;
    let timer: NodeJS.Timeout | undefined;
    // Timers never cut a command in progress (SNAP wait); its reply re-arms them.
    const hangUpIfIdle = (): void => {
      if (pending === 0) hangUp(socket);
    };
    const arm = (seconds: number, action: () => void = hangUpIfIdle): void => {
      clearTimeout(timer);
      timer = setTimeout(action, seconds * 1000);
    };
    // A client that sends a command without newline and keeps its side open
    // (printf SNAP | nc) is done once it pauses: run what it sent.
    const flushPartial = (): void => {
      const line = buffered.replace(/\r$/, '');
      buffered = '';
      if (line.trim() !== '') enqueue(line);
      else finishIfDone();
    };
    /** With network.token set, nothing but AUTH is answered until the token was sent. */
    const authenticate = (line: string): { reply: string; close?: boolean } | undefined => {
      const [word = '', presented] = line.trim().split(/\s+/, 2);
      if (word.toUpperCase() !== 'AUTH') {
        return authenticated ? undefined : { reply: errLine('UNAUTHENTICATED', 'send AUTH <token> first') };
      }
      if (limits.token === '') return { reply: 'OK authentication is off' };
      if (tokenMatches(limits.token, presented)) {
        authenticated = true;
        return { reply: 'OK authenticated' };
      }
      authFailures++;
      return { reply: errLine('UNAUTHENTICATED', 'wrong token'), close: authFailures >= MAX_AUTH_FAILURES };
    };
    const finishIfDone = (): void => {
      if (pending > 0) return;
      if (ended || closing) hangUp(socket);
      else if (buffered === '') arm(limits.reply_linger_s);
    };
    const enqueue = (line: string): void => {
      pending++;
      queue = queue.then(async () => {
        const auth = authenticate(line);
        const result = auth ?? (await runCommand(core, line, allowTrigger));
        if (!socket.writable) return;
        socket.write(result.reply + '\n');
        if (result.close) ended = true;
      }).finally(() => {
        pending--;
        finishIfDone();
      });
    };
    socket.setEncoding('utf8');
    socket.setNoDelay(true);
    arm(limits.idle_timeout_s);
    socket.on('data', (chunk: string) => {
      if (ended) return;
      arm(limits.idle_timeout_s);
      buffered += chunk;
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline).replace(/\r$/, '');
        buffered = buffered.slice(newline + 1);
        if (discarding) {
          discarding = false; // the tail of an over-long line ends here
          continue;
        }
        if (Buffer.byteLength(line) > limits.max_line_bytes) tooLong();
        else if (line.trim() !== '') enqueue(line);
      }
      if (Buffer.byteLength(buffered) > limits.max_line_bytes) {
        if (!discarding) tooLong();
        discarding = true;
        buffered = '';
      }
      if (buffered !== '') arm(limits.reply_linger_s, flushPartial);
      else if (pending === 0) finishIfDone();
    });
    /** One ERR per over-long line; the connection stays usable. */
    const tooLong = (): void => {
      pending++;
      queue = queue
        .then(() => {
          if (socket.writable) socket.write(errLine('BAD_ARGUMENT', `line longer than ${limits.max_line_bytes} bytes, discarded`) + '\n');
        })
        .finally(() => {
          pending--;
          finishIfDone();
        });
    };
    socket.on('end', () => {
      // A last command without a newline still counts (printf SNAP | nc ...).
      if (!ended && !discarding && buffered.trim() !== '') enqueue(buffered.replace(/\r$/, ''));
      buffered = '';
      ended = true;
      finishIfDone();
    });
    socket.on('close', () => clearTimeout(timer));
    socket.on('error', (error) => logger.debug({ err: error }, 'line connection error'));
    return finishIfDone;
  }

  // once() rejects on 'error' (port taken, bad address) before 'listening'.
  server.listen(port, host);
  await once(server, 'listening');
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => sockets.size,
    accepted: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        closing = true;
        server.close(() => resolve());
        // Idle connections go now; busy ones after their reply.
        for (const closeIfIdle of sockets.values()) closeIfIdle();
      }),
  };
}

/**
 * Our half-close plus a full close once the reply is flushed: with
 * allowHalfOpen a client that never closes its side (OpenBSD nc) would
 * otherwise keep the socket forever.
 */
function hangUp(socket: net.Socket): void {
  if (socket.destroyed) return;
  socket.end(() => socket.destroy());
}
