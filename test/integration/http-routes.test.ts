import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PAGE_FILES } from '../../src/http/http-server.js';
import { httpRoutes, type RouteDeps } from '../../src/http/http-routes.js';
import { startService, type Service } from '../helpers/service.js';

/**
 * One real path per route of the table, with the Allow a wrong method must
 * get. Written out here, not derived from the table, so a route that answers
 * a method it should not (or an Allow that lies) fails.
 */
const SAMPLES: { path: string; allow: string }[] = [
  { path: '/healthz', allow: 'GET, HEAD' },
  ...Object.keys(PAGE_FILES).map((path) => ({ path, allow: 'GET, HEAD' })),
  { path: '/metrics', allow: 'GET, HEAD' },
  { path: '/live.mjpg', allow: 'GET, HEAD' },
  { path: '/api/status', allow: 'GET, HEAD' },
  { path: '/api/history', allow: 'GET, HEAD' },
  { path: '/api/trigger', allow: 'POST' },
  { path: '/api/events', allow: 'GET, HEAD' },
  { path: '/events', allow: 'GET, HEAD' },
  { path: '/events/', allow: 'GET, HEAD' },
  { path: '/api/events/some-event/thumbnail.jpg', allow: 'GET, HEAD' },
  { path: '/api/events/some-event/preview/000001.jpg', allow: 'GET, HEAD' },
  { path: '/events/some-event.zip', allow: 'GET, HEAD' },
  { path: '/events/some-event/', allow: 'GET, HEAD' },
  { path: '/events/some-event/event.json', allow: 'GET, HEAD' },
];

const TOKEN = 'route-secret';

describe('HTTP route table', () => {
  let service: Service;

  before(async () => {
    service = await startService({ network: { token: TOKEN } });
  });

  after(async () => {
    assert.equal(await service.stop(), 0);
  });

  it('the samples cover every route of the table', () => {
    // Only the paths are read here; handlers are never called.
    const page = new Map(Object.keys(PAGE_FILES).map((path) => [path, { body: Buffer.alloc(0), type: 'text/plain' }]));
    const table = httpRoutes({ page } as unknown as RouteDeps);
    for (const route of table.routes) {
      const covered = SAMPLES.some(({ path }) => (typeof route.path === 'string' ? route.path === path : route.path.test(path)));
      assert.ok(covered, `no sample for route ${String(route.path)}`);
    }
  });

  it('a wrong method on each route is a 405 with the right Allow, from the error table', async () => {
    const auth = { Authorization: `Bearer ${TOKEN}` };
    for (const { path, allow } of SAMPLES) {
      for (const method of allow === 'POST' ? ['GET', 'PUT', 'DELETE'] : ['POST', 'PUT', 'DELETE']) {
        const response = await fetch(`${service.httpUrl}${path}`, { method, headers: auth });
        const body = (await response.json()) as { code: string; error: string };
        assert.equal(response.status, 405, `${method} ${path}: ${JSON.stringify(body)}`);
        assert.equal(response.headers.get('allow'), allow, `${method} ${path}`);
        assert.equal(body.code, 'METHOD_NOT_ALLOWED');
        assert.match(body.error, new RegExp(`^${method} is not allowed on `));
      }
    }
  });

  it('a path outside the table is a 404 without Allow; without the token a 401', async () => {
    const auth = { Authorization: `Bearer ${TOKEN}` };
    for (const path of ['/nowhere', '/events/a/b/c', '/api/trigger/x']) {
      const response = await fetch(`${service.httpUrl}${path}`, { method: 'DELETE', headers: auth });
      assert.equal(response.status, 404, path);
      assert.equal(response.headers.get('allow'), null, path);
      assert.equal(((await response.json()) as { code: string }).code, 'NOT_FOUND');
    }
    const refused = await fetch(`${service.httpUrl}/api/status`);
    assert.equal(refused.status, 401);
    assert.equal(((await refused.json()) as { code: string }).code, 'UNAUTHENTICATED');
  });

  it('a query parameter the route does not read is refused and named, not ignored', async () => {
    const auth = { Authorization: `Bearer ${TOKEN}` };
    for (const [path, field] of [
      ['/live.mjpg?max_fsp=5', 'max_fsp'],
      ['/api/events?limt=3', 'limt'],
      ['/api/status?verbose=1', 'verbose'],
      ['/api/history?second=5', 'second'],
    ] as const) {
      const response = await fetch(`${service.httpUrl}${path}`, { headers: auth });
      const body = (await response.json()) as { code: string; field: string; error: string };
      assert.equal(response.status, 400, path);
      assert.deepEqual([body.code, body.field], ['INVALID_ARGUMENT', field], path);
      assert.match(body.error, new RegExp(`^${field}: unknown field`));
    }
    // The token itself may ride on any route's query (a browser's first visit).
    const withToken = await fetch(`${service.httpUrl}/api/status?token=${TOKEN}`);
    assert.equal(withToken.status, 200);
    await withToken.body?.cancel();
  });
});
