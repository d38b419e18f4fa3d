import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { eachEvent, PicamError, tokenMatches, type Logger, type Picam } from '../core/index.js';
import { EventFiles } from './event-files.js';
import { httpRoutes, type Exchange } from './http-routes.js';
import { sendError } from './http-status.js';
import { LiveSpecs } from './live-specs.js';
import { RequestGuard, type GuardOptions } from './request-guard.js';
import { createMetrics, type AdapterGauges } from './metrics.js';
import { checkQuery } from './route-table.js';

export interface HttpServer {
  port: number;
  close(): Promise<void>;
}

export interface HttpOptions {
  /** network.token; empty = open. */
  token: string;
  /** Host names and Origin rules (network.host, network.allowed_hosts). */
  guard: GuardOptions;
  lineConnections: AdapterGauges['lineConnections'];
  lineAccepted: AdapterGauges['lineAccepted'];
}

/** The live page: plain files, no build step; read once at start. */
const PAGE_DIR = new URL('../../../src/http/page/', import.meta.url);
/** The live page's files by path (exported for the route test, which must cover every route). */
export const PAGE_FILES: Record<string, string> = {
  '/': 'index.html',
  '/live.js': 'live.js',
  '/live.css': 'live.css',
  '/timeline.js': 'timeline.js',
  '/viewer.js': 'viewer.js',
};
const PAGE_TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};
const COOKIE = 'picam_token';

/**
 * HTTP adapter: Prometheus metrics, health, the live page and read-only
 * event files. Like the gRPC and line adapters it turns requests into core
 * calls and core errors into status codes (src/http/http-status.ts).
 * With network.token set everything but /healthz needs the token: as
 * `Authorization: Bearer <token>`, or once as `?token=` in a browser, which
 * sets a SameSite cookie for the page's own requests.
 */
export async function startHttpServer(core: Picam, host: string, port: number, logger: Logger, options: HttpOptions): Promise<HttpServer> {
  const page = new Map<string, { body: Buffer; type: string }>();
  for (const [route, file] of Object.entries(PAGE_FILES)) {
    page.set(route, { body: await readFile(fileURLToPath(new URL(file, PAGE_DIR))), type: PAGE_TYPES[file.split('.').pop()!]! });
  }
  const viewers = { count: 0 };
  const liveSpecs = new LiveSpecs();
  const metrics = createMetrics(core, { lineConnections: options.lineConnections, lineAccepted: options.lineAccepted, liveViewers: () => viewers.count });
  const files = new EventFiles(core);

  const routes = httpRoutes({ core, page, metrics, files, liveSpecs, viewers });

  const route = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const method = req.method ?? 'GET';
    const match = routes.match(method, url.pathname);
    const isPublic = match.kind === 'route' && match.route.public === true;
    if (!isPublic && !authorized(req, res, url, options.token)) {
      sendError(res, 'UNAUTHENTICATED', 'send "Authorization: Bearer <network.token>" (or open the page once with ?token=<network.token>)');
      return;
    }
    if (match.kind === 'not-found') {
      sendError(res, 'NOT_FOUND', `no such page: ${url.pathname.slice(0, 200)}`);
      return;
    }
    if (match.kind === 'method-not-allowed') {
      res.setHeader('Allow', match.allow);
      sendError(res, 'METHOD_NOT_ALLOWED', `${method.slice(0, 16)} is not allowed on ${url.pathname.slice(0, 200)}; allowed: ${match.allow}`);
      return;
    }
    checkQuery(match.route, url.searchParams);
    await match.route.handle({ req, res, url } satisfies Exchange, match.params);
  };

  const stopEvents = new AbortController();
  void eachEvent(
    core.events(stopEvents.signal),
    (event) => {
      if (event.kind === 'event' && event.progress.state !== 'pending') files.forget(event.progress.eventId);
    },
    (error) => logger.error({ err: error }, 'HTTP: cannot handle a core event'),
  );
  const guard = new RequestGuard(options.guard);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://picam');
    const refusal = guard.check(req, res, url.pathname);
    if (refusal) {
      sendError(res, refusal.code, refusal.error, refusal.field);
      return;
    }
    route(req, res, url).catch((error: unknown) => {
      const failure = PicamError.from(error);
      if (failure.code === 'INTERNAL') logger.error({ err: error, path: url.pathname }, 'HTTP request failed');
      if (res.headersSent) {
        res.destroy();
        return;
      }
      sendError(res, failure.code, failure.message, failure.field);
    });
  });
  // Long-lived live streams must not hold shutdown: close() ends them.
  server.keepAliveTimeout = 5000;
  // once() rejects on 'error' (port taken, bad address) before 'listening'.
  server.listen(port, host);
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        stopEvents.abort();
        metrics.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function authorized(req: IncomingMessage, res: ServerResponse, url: URL, token: string): boolean {
  if (token === '') return true;
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ') && tokenMatches(token, header.slice(7))) return true;
  const fromQuery = url.searchParams.get('token');
  if (fromQuery !== null && tokenMatches(token, fromQuery)) {
    // The browser keeps it for the page's own requests (images, stream, trigger button).
    res.setHeader('Set-Cookie', `${COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`);
    return true;
  }
  const cookie = (req.headers.cookie ?? '')
    .split(';')
    .map((part) => part.trim().split('='))
    .find(([name]) => name === COOKIE);
  if (cookie === undefined) return false;
  try {
    return tokenMatches(token, decodeURIComponent(cookie[1] ?? ''));
  } catch {
    return false; // malformed percent-encoding: not the token (and not an internal error)
  }
}
