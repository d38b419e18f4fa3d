import type http2 from 'node:http2';
import type { DeliveryProbe } from '../core/index.js';

/**
 * Delivery confirmation for a gRPC stream by HTTP/2 PING. A message's write
 * callback fires once its bytes are in the kernel's send buffer; a PING
 * queued after that goes out behind them on the same TCP connection, and
 * its ACK comes back only after the client's HTTP/2 stack has read every
 * byte before it. So "PING acknowledged" = "the client has the frame",
 * whatever the client (grpcio, grpc-go, grpc-js, grpcurl): every HTTP/2
 * peer must answer PINGs, and no client polices PINGs from the server.
 *
 * One PING is in flight per connection at a time; every stream on that
 * connection waiting meanwhile shares the next one (Node allows only 10
 * outstanding PINGs per session, grpc-js keepalive uses them too).
 */
class SessionPinger implements DeliveryProbe {
  private waiting: Array<() => void> = [];
  private pinging = false;

  constructor(private readonly session: http2.Http2Session) {
    session.once('close', () => this.flush(this.waiting.splice(0)));
  }

  delivered(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.waiting.push(resolve);
      this.kick();
    });
  }

  private kick(): void {
    if (this.pinging || this.waiting.length === 0) return;
    const batch = this.waiting.splice(0);
    if (this.session.closed || this.session.destroyed) return this.flush(batch);
    this.pinging = true;
    let sent = false;
    try {
      sent = this.session.ping(() => {
        // An error (session closing, ping cancelled) also ends the wait: the stream's own abort follows.
        this.pinging = false;
        this.flush(batch);
        this.kick();
      });
    } catch {
      sent = false;
    }
    if (!sent) {
      this.pinging = false;
      this.flush(batch);
    }
  }

  private flush(batch: Array<() => void>): void {
    for (const resolve of batch) resolve();
  }
}

const pingers = new WeakMap<http2.Http2Session, SessionPinger>();

/**
 * The probe for one grpc-js server call, or undefined when its HTTP/2
 * session cannot be found. grpc-js offers no public way to reach the
 * session, so this walks its call objects (`call` → `nextCall`… → `stream`)
 * and checks what it finds; test/integration/slow-link.test.ts fails if a
 * grpc-js upgrade moves it (frames then pile up on a slow link again).
 */
export function deliveryProbeFor(call: object): DeliveryProbe | undefined {
  const session = findSession(call);
  if (!session) return undefined;
  let pinger = pingers.get(session);
  if (!pinger) {
    pinger = new SessionPinger(session);
    pingers.set(session, pinger);
  }
  return pinger;
}

function findSession(start: object): http2.Http2Session | undefined {
  let node: unknown = start;
  for (let depth = 0; depth < 8 && typeof node === 'object' && node !== null; depth++) {
    const record = node as { stream?: { session?: unknown }; call?: unknown; nextCall?: unknown };
    const session = record.stream?.session;
    if (isSession(session)) return session;
    node = record.call ?? record.nextCall;
  }
  return undefined;
}

/** node:http2 exports no session class to test with instanceof; these are the members used here. */
function isSession(value: unknown): value is http2.Http2Session {
  const candidate = value as Partial<http2.Http2Session> | null | undefined;
  return typeof candidate?.ping === 'function' && typeof candidate.once === 'function' && typeof candidate.closed === 'boolean';
}
