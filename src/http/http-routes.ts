import type { IncomingMessage, ServerResponse } from 'node:http';
import { invalidField, type Picam } from '../core/index.js';
import type { EventFiles } from './event-files.js';
import { previewWidthParam } from './frame-preview.js';
import { historyJson } from './history-route.js';
import { statusJson, summaryJson } from './http-json.js';
import { sendJson } from './http-status.js';
import type { LiveSpecs } from './live-specs.js';
import { serveMjpeg } from './live-stream.js';
import type { createMetrics } from './metrics.js';
import { decodeSegment } from './path-segment.js';
import { RouteTable, type Route } from './route-table.js';
import { triggerBody } from './trigger-body.js';

/** One request being answered. */
export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
}

/** What the routes answer from; built once per server. */
export interface RouteDeps {
  core: Picam;
  page: ReadonlyMap<string, { body: Buffer; type: string }>;
  metrics: ReturnType<typeof createMetrics>;
  files: EventFiles;
  liveSpecs: LiveSpecs;
  viewers: { count: number };
}

/**
 * Every path the HTTP adapter answers, with its methods and query
 * parameters. Only the table decides: a path in it with another method is
 * a 405 whose Allow comes from here, any other path a 404.
 */
export function httpRoutes(deps: RouteDeps): RouteTable<Exchange> {
  const { core, page, metrics, files, liveSpecs, viewers } = deps;
  const pageRoutes = [...page].map(
    ([path, asset]): Route<Exchange> => ({
      path,
      methods: ['GET'],
      handle: ({ req, res }) => {
        res.writeHead(200, { 'Content-Type': asset.type, 'Content-Length': asset.body.byteLength, 'Cache-Control': 'no-cache' });
        res.end(req.method === 'HEAD' ? undefined : asset.body);
      },
    }),
  );
  const listEvents: Route<Exchange>['handle'] = async ({ res, url }) => {
    const limit = Math.min(200, Math.max(1, Math.trunc(numberParam(url, 'limit', 20))));
    const summaries = await Promise.all((await core.eventStore.listIds(limit)).map((id) => core.eventStore.get(id).then((d) => d.summary)));
    sendJson(res, 200, { events: summaries.map(summaryJson) });
  };
  return new RouteTable<Exchange>([
    {
      path: '/healthz',
      methods: ['GET'],
      public: true,
      // Mirrors the gRPC health service: SERVING while frames flow (503 is UNAVAILABLE's status).
      handle: ({ res }) => sendJson(res, core.isServing ? 200 : 503, { status: core.isServing ? 'SERVING' : 'NOT_SERVING' }),
    },
    ...pageRoutes,
    {
      path: '/metrics',
      methods: ['GET'],
      handle: async ({ res }) => {
        const body = await metrics.registry.metrics();
        res.writeHead(200, { 'Content-Type': metrics.registry.contentType });
        res.end(body);
      },
    },
    {
      path: '/live.mjpg',
      methods: ['GET'],
      query: ['max_fps', 'width', 'quality'],
      handle: async ({ req, res, url }) => {
        const maxFps = numberParam(url, 'max_fps', 10);
        const quality = url.searchParams.has('quality') ? numberParam(url, 'quality', 80) : undefined;
        const live = liveSpecs.claim({ width: numberParam(url, 'width', 0), quality }, core.status().source.width);
        try {
          res.setHeader('X-Picam-Live', live.label);
          await serveMjpeg(core, req, res, { maxFps, width: live.width, quality: live.quality }, viewers);
        } finally {
          live.release();
        }
      },
    },
    { path: '/api/status', methods: ['GET'], handle: ({ res }) => sendJson(res, 200, statusJson(core)) },
    { path: '/api/history', methods: ['GET'], query: ['seconds'], handle: ({ res, url }) => sendJson(res, 200, historyJson(core, url.searchParams)) },
    {
      path: '/api/trigger',
      methods: ['POST'],
      handle: async ({ req, res }) => {
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
      },
    },
    { path: '/api/events', methods: ['GET'], query: ['limit'], handle: listEvents },
    { path: /^\/events\/?$/, methods: ['GET'], query: ['limit'], handle: listEvents },
    {
      path: /^\/api\/events\/([^/]+)\/thumbnail\.jpg$/,
      methods: ['GET'],
      handle: ({ res }, [id = '']) => files.sendThumbnail(res, decodeSegment(id, 'event_id')),
    },
    {
      path: /^\/api\/events\/([^/]+)\/preview\/([^/]+)$/,
      methods: ['GET'],
      query: ['width'],
      handle: ({ res, url }, [id = '', file = '']) => files.sendPreview(res, decodeSegment(id, 'event_id'), decodeSegment(file, 'file'), previewWidthParam(url.searchParams)),
    },
    { path: /^\/events\/([^/]+)\.zip$/, methods: ['GET'], handle: ({ res }, [id = '']) => files.sendZip(res, decodeSegment(id, 'event_id')) },
    {
      path: /^\/events\/([^/]+)\/?$/,
      methods: ['GET'],
      handle: async ({ res }, [id = '']) => {
        const eventId = decodeSegment(id, 'event_id');
        const detail = await core.eventStore.get(eventId);
        sendJson(res, 200, { ...summaryJson(detail.summary), files: await core.eventStore.fileNames(eventId) });
      },
    },
    {
      path: /^\/events\/([^/]+)\/([^/]+)$/,
      methods: ['GET'],
      handle: ({ req, res }, [id = '', file = '']) => files.sendFile(res, decodeSegment(id, 'event_id'), decodeSegment(file, 'file'), req.method === 'HEAD'),
    },
  ]);
}

function numberParam(url: URL, name: string, fallback: number): number {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw invalidField(name, 'a number', raw);
  return value;
}
