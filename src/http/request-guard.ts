import { isIP } from 'node:net';
import { hostname } from 'node:os';
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface GuardOptions {
  /** network.host: the address the server is bound to. */
  bindHost: string;
  /** network.allowed_hosts: extra names; `*` turns the Host check off. */
  allowedHosts: readonly string[];
}

export interface Refusal {
  code: 'PERMISSION_DENIED';
  /** The header at fault: `Host` or `Origin`. */
  field: string;
  error: string;
}

/**
 * Web-origin rules for a camera on a LAN, applied to every request:
 * - Host: a page on another site can make a browser talk to the camera
 *   through a name the attacker controls that resolves to the camera's
 *   address (DNS rebinding). The browser then sends that name as Host, so
 *   only names the camera is known by are served: any IP address literal
 *   (a browser that connects by IP cannot be rebound), localhost, this
 *   machine's host name and `<hostname>.local` (mDNS), network.host and
 *   network.allowed_hosts. /healthz is exempt (it tells only SERVING).
 * - Origin: a request that changes something (any method but GET/HEAD)
 *   carrying an Origin other than the page's own, or Sec-Fetch-Site
 *   cross-site, is refused: only the camera's own page may press Trigger.
 * - Framing: every response forbids being framed (X-Frame-Options DENY,
 *   CSP frame-ancestors 'none'), so the Trigger button cannot be click-jacked.
 */
export class RequestGuard {
  private readonly names: Set<string>;
  private readonly anyHost: boolean;

  constructor(options: GuardOptions) {
    const own = hostname().toLowerCase();
    const short = own.split('.')[0]!;
    this.names = new Set(['localhost', own, short, `${short}.local`, options.bindHost.toLowerCase(), ...options.allowedHosts.map((h) => h.toLowerCase())]);
    this.anyHost = options.allowedHosts.includes('*');
  }

  /** Sets the framing headers; returns why the request is refused, if it is. */
  check(req: IncomingMessage, res: ServerResponse, pathname: string): Refusal | undefined {
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Content-Security-Policy', "frame-ancestors 'none'");
    res.setHeader('X-Content-Type-Options', 'nosniff');
    const host = req.headers.host;
    if (host !== undefined && pathname !== '/healthz' && !this.allowedHost(host)) {
      return refuse('Host', `Host ${JSON.stringify(host.slice(0, 100))} is not a name of this camera; add it to network.allowed_hosts`);
    }
    const method = req.method ?? 'GET';
    if (method === 'GET' || method === 'HEAD') return undefined;
    const origin = req.headers.origin;
    if (origin !== undefined && !sameOrigin(origin, host)) {
      return refuse('Origin', `Origin ${JSON.stringify(origin.slice(0, 100))} is not this camera's page; ${method} is accepted only from the camera's own page (or without Origin, e.g. curl)`);
    }
    if (req.headers['sec-fetch-site'] === 'cross-site') return refuse('Origin', `${method} from another site is refused`);
    return undefined;
  }

  private allowedHost(header: string): boolean {
    if (this.anyHost) return true;
    const name = hostOnly(header);
    if (name === undefined) return false;
    return isIP(name) !== 0 || this.names.has(name) || name.endsWith('.localhost');
  }
}

/** The name in a Host header without port, brackets or trailing dot; undefined if malformed. */
function hostOnly(header: string): string | undefined {
  const value = header.trim().toLowerCase();
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    return end < 0 ? undefined : value.slice(1, end);
  }
  const colon = value.indexOf(':');
  const name = colon < 0 ? value : value.slice(0, colon);
  return name.replace(/\.$/, '') || undefined;
}

function sameOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined || !URL.canParse(origin)) return false;
  return new URL(origin).host === host.toLowerCase();
}

function refuse(field: string, error: string): Refusal {
  return { code: 'PERMISSION_DENIED', field, error };
}
