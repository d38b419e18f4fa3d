import { once } from 'node:events';
import net from 'node:net';
import type { Config, Logger, Picam } from '../core/index.js';
import { AuthBackoff } from './auth-backoff.js';
import { hangUp, LineConnection, type ConnectionLimits } from './line-connection.js';
import { RateLimitedLog } from './rate-limited-log.js';
import { errLine } from './reply-codes.js';

export interface LineServer {
  port: number;
  /** Connections open now (for metrics). */
  connections(): number;
  /** Connections accepted since start, including those refused as BUSY. */
  accepted(): number;
  close(): Promise<void>;
}

type Limits = ConnectionLimits & Pick<Config['network'], 'max_connections'>;

/**
 * The line protocol on TCP (default 9999); each connection is a
 * LineConnection. Slots: at most `max_connections` at once. With
 * network.token set, a connection that has not authenticated yet never
 * keeps an authenticated one out: when every slot is taken, a newcomer
 * takes the slot of the oldest unauthenticated connection (from the address
 * holding the most of them), and only when all are authenticated is the
 * newcomer refused with `ERR BUSY`.
 */
export async function startLineServer(core: Picam, host: string, port: number, limits: Limits, logger: Logger): Promise<LineServer> {
  const connections = new Map<net.Socket, LineConnection>();
  let closing = false;
  let accepted = 0;
  const context = { core, limits, backoff: new AuthBackoff(), authLog: new RateLimitedLog(logger), logger, closing: () => closing };
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    accepted++;
    if (connections.size >= limits.max_connections && !evictOne()) {
      socket.on('error', () => undefined);
      socket.write(errLine('BUSY', `too many connections (max ${limits.max_connections})`) + '\n');
      hangUp(socket, limits.idle_timeout_s);
      return;
    }
    socket.on('close', () => connections.delete(socket));
    connections.set(socket, new LineConnection(socket, context));
  });

  /** Frees a slot held by an unauthenticated connection; false when every holder is authenticated. */
  function evictOne(): boolean {
    const waiting = [...connections.values()].filter((c) => !c.authenticated);
    if (waiting.length === 0) return false;
    const perPeer = new Map<string, number>();
    for (const c of waiting) perPeer.set(c.peer, (perPeer.get(c.peer) ?? 0) + 1);
    // Oldest first; among those, the address that holds the most unauthenticated slots.
    const victim = waiting.reduce((best, c) => {
      const a = perPeer.get(c.peer)!;
      const b = perPeer.get(best.peer)!;
      return a > b || (a === b && c.openedMs < best.openedMs) ? c : best;
    });
    logger.debug({ peer: victim.peer }, 'line: slots full, unauthenticated connection closed to make room');
    victim.cut(errLine('BUSY', 'connection slots are full and this connection has not authenticated; closing'));
    for (const [socket, c] of connections) if (c === victim) connections.delete(socket);
    return true;
  }

  // once() rejects on 'error' (port taken, bad address) before 'listening'.
  server.listen(port, host);
  await once(server, 'listening');
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => connections.size,
    accepted: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        closing = true;
        server.close(() => resolve());
        // Idle connections go now; busy ones after their reply.
        for (const connection of connections.values()) connection.closeIfIdle();
      }),
  };
}
