import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { eachEvent, PicamError, tokenMatches, type EventSummary, type Logger, type Picam, type TriggerRequest } from '../core/index.js';
import { EventFiles } from './event-files.js';
import { previewWidthParam } from './frame-preview.js';
import { historyJson } from './history-route.js';
import { HTTP_STATUS } from './http-status.js';
import { serveMjpeg } from './live-stream.js';
import { LiveSpecs } from './live-specs.js';
import { decodeSegment } from './path-segment.js';
import { RequestGuard, type GuardOptions } from './request-guard.js';
import { createMetrics, type AdapterGauges } from './metrics.js';

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
const PAGE_FILES: Record<string, string> = {
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
const MAX_BODY_BYTES = 16 * 1024;
const EVENT_FILE = /^\/events\/([^/]+)\/([^/]+)$/;
const EVENT_ZIP = /^\/events\/([^/]+)\.zip$/;
const EVENT_INDEX = /^\/events\/([^/]+)\/?$/;
const THUMBNAIL = /^\/api\/events\/([^/]+)\/thumbnail\.jpg$/;
const PREVIEW = /^\/api\/events\/([^/]+)\/preview\/([^/]+)$/;

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

  const route = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const method = req.method ?? 'GET';
    const read = method === 'GET' || method === 'HEAD';
    const { pathname } = url;
    if (pathname === '/healthz' && read) {
      // Mirrors the gRPC health service: SERVING while frames flow.
      const serving = core.isServing;
      sendJson(res, serving ? 200 : 503, { status: serving ? 'SERVING' : 'NOT_SERVING' });
      return;
    }
    if (!authorized(req, res, url, options.token)) {
      sendJson(res, 401, { code: 'UNAUTHENTICATED', error: 'send "Authorization: Bearer <network.token>" (or open the page once with ?token=<network.token>)' });
      return;
    }
    const asset = page.get(pathname);
    if (asset && read) {
      res.writeHead(200, { 'Content-Type': asset.type, 'Content-Length': asset.body.byteLength, 'Cache-Control': 'no-cache' });
      res.end(method === 'HEAD' ? undefined : asset.body);
      return;
    }
    if (pathname === '/metrics' && read) {
      const body = await metrics.registry.metrics();
      res.writeHead(200, { 'Content-Type': metrics.registry.contentType });
      res.end(body);
      return;
    }
    if (pathname === '/live.mjpg' && method === 'GET') {
      const maxFps = numberParam(url, 'max_fps', 10);
      const quality = url.searchParams.has('quality') ? numberParam(url, 'quality', 80) : undefined;
      const live = liveSpecs.claim({ width: numberParam(url, 'width', 0), quality }, core.status().source.width);
      try {
        res.setHeader('X-Picam-Live', live.label);
        await serveMjpeg(core, req, res, { maxFps, width: live.width, quality: live.quality }, viewers);
      } finally {
        live.release();
      }
      return;
    }
    if (pathname === '/api/status' && read) {
      sendJson(res, 200, statusJson(core));
      return;
    }
    if (pathname === '/api/history' && read) {
      sendJson(res, 200, historyJson(core, url.searchParams));
      return;
    }
    if (pathname === '/api/trigger' && method === 'POST') {
      const request = await triggerBody(req);
      const accepted = await core.trigger({ ...request, source: 'http' });
      const reply = { event_id: accepted.eventId, dir: accepted.dir, trigger_ms: accepted.triggerMs, frames_before: accepted.framesBefore };
      if (request.wait !== true) {
        sendJson(res, 202, { ...reply, state: 'pending' });
        return;
      }
      // "wait": answer once the event is finished, like SNAP wait and gRPC Trigger with wait.
      const manifest = await accepted.done;
      sendJson(res, 200, {
        ...reply,
        state: manifest.state,
        frames: manifest.frames.length,
        missing_frames: manifest.missing.reduce((n, m) => n + m.last_id - m.first_id + 1, 0),
        ...(manifest.error === undefined ? {} : { error: manifest.error, error_code: manifest.error_code }),
      });
      return;
    }
    if ((pathname === '/api/events' || pathname === '/events' || pathname === '/events/') && read) {
      const limit = Math.min(200, Math.max(1, Math.trunc(numberParam(url, 'limit', 20))));
      const summaries = await Promise.all((await core.eventStore.listIds(limit)).map((id) => core.eventStore.get(id).then((d) => d.summary)));
      sendJson(res, 200, { events: summaries.map(summaryJson) });
      return;
    }
    let match = THUMBNAIL.exec(pathname);
    if (match && read) {
      await files.sendThumbnail(res, decodeSegment(match[1]!, 'event_id'));
      return;
    }
    match = PREVIEW.exec(pathname);
    if (match && read) {
      await files.sendPreview(res, decodeURIComponent(match[1]!), decodeURIComponent(match[2]!), previewWidthParam(url.searchParams));
      return;
    }
    match = EVENT_ZIP.exec(pathname);
    if (match && read) {
      await files.sendZip(res, decodeSegment(match[1]!, 'event_id'));
      return;
    }
    match = EVENT_INDEX.exec(pathname);
    if (match && read) {
      const eventId = decodeSegment(match[1]!, 'event_id');
      const detail = await core.eventStore.get(eventId);
      sendJson(res, 200, { ...summaryJson(detail.summary), files: await core.eventStore.fileNames(eventId) });
      return;
    }
    match = EVENT_FILE.exec(pathname);
    if (match && read) {
      await files.sendFile(res, decodeSegment(match[1]!, 'event_id'), decodeSegment(match[2]!, 'file'), method === 'HEAD');
      return;
    }
    const known = pathname === '/api/trigger' || page.has(pathname) || pathname === '/metrics' || pathname === '/live.mjpg' || pathname.startsWith('/events/');
    if (known) {
      res.setHeader('Allow', pathname === '/api/trigger' ? 'POST' : 'GET, HEAD');
      sendJson(res, 405, { code: 'METHOD_NOT_ALLOWED', error: `${method} is not allowed on ${pathname}` });
      return;
    }
    sendJson(res, 404, { code: 'NOT_FOUND', error: `no such page: ${pathname}` });
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
      sendJson(res, refusal.status, refusal.body);
      return;
    }
    route(req, res, url).catch((error: unknown) => {
      const failure = PicamError.from(error);
      if (failure.code === 'INTERNAL') logger.error({ err: error, path: url.pathname }, 'HTTP request failed');
      if (res.headersSent) {
        res.destroy();
        return;
      }
      sendJson(res, HTTP_STATUS[failure.code], { code: failure.code, error: failure.message, ...(failure.field ? { field: failure.field } : {}) });
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
  return cookie !== undefined && tokenMatches(token, decodeURIComponent(cookie[1] ?? ''));
}

function numberParam(url: URL, name: string, fallback: number): number {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new PicamError('INVALID_ARGUMENT', `${name}: expected a number, received ${JSON.stringify(raw.slice(0, 32))}`, { field: name });
  return value;
}

/**
 * The trigger arguments from a JSON body (or none). Only JSON is accepted:
 * a cross-site HTML form cannot send it, so another web page cannot make a
 * visitor's browser fire the camera.
 */
async function triggerBody(req: IncomingMessage): Promise<Omit<TriggerRequest, 'source'>> {
  const type = req.headers['content-type'] ?? '';
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > MAX_BODY_BYTES) throw new PicamError('INVALID_ARGUMENT', `body: larger than ${MAX_BODY_BYTES} bytes`, { field: 'body' });
    chunks.push(chunk);
  }
  if (!type.startsWith('application/json')) {
    throw new PicamError('INVALID_ARGUMENT', 'body: send Content-Type: application/json (an empty object {} for the defaults)', { field: 'body' });
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new PicamError('INVALID_ARGUMENT', `body: not JSON: ${(error as Error).message}`, { field: 'body' });
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new PicamError('INVALID_ARGUMENT', 'body: expected a JSON object', { field: 'body' });
  // Keys and types are checked by the core's one strict trigger schema, which names the field.
  if (Object.hasOwn(body, 'source')) throw new PicamError('INVALID_ARGUMENT', 'source: not a request field (the server records "http")', { field: 'source' });
  return body as Omit<TriggerRequest, 'source'>;
}

function statusJson(core: Picam): Record<string, unknown> {
  const s = core.status();
  const night = core.nightState();
  return {
    version: s.version,
    serving: s.serving,
    source: { kind: s.source.kind, width: s.source.width, height: s.source.height, fps: s.source.framesPerSecond, frames_captured: s.source.framesCaptured, frames_dropped: s.source.framesDropped, restarts: s.source.restarts, last_error: s.source.lastError },
    ring: { capacity: s.ring.capacity, filled: s.ring.filled, span_s: s.ring.spanS, payload_bytes: s.ring.payloadBytes },
    night: { night: night.night, enabled: night.enabled, dark_score: night.darkScore, normalized_score: night.normalizedScore, exposure_us: night.exposure.exposureUs, gain: night.exposure.gain, fps: night.fps, transitions: night.transitions },
    events_pending: s.eventsPending,
    events_total: s.eventsTotal,
    stream_subscribers: s.streamSubscribers,
    stream_readers: s.streamReaders.map((r) => ({
      transport: r.transport,
      peer: r.peer,
      encoding: r.encoding,
      since_ms: r.sinceMs,
      frames_sent: r.framesSent,
      frames_dropped: r.framesDropped,
      frames_in_flight: r.framesInFlight,
      bytes_in_flight: r.bytesInFlight,
      in_flight_tracked: r.tracked,
    })),
  };
}

function summaryJson(summary: EventSummary): Record<string, unknown> {
  return {
    event_id: summary.eventId,
    state: summary.state,
    trigger_ms: summary.triggerMs,
    source: summary.triggerSource,
    reason: summary.reason,
    frame_count: summary.frameCount,
    bytes: summary.bytes,
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store' });
  res.end(text);
}
