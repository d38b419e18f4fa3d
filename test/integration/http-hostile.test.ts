import assert from 'node:assert/strict';
import http from 'node:http';
import { hostname } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { startService, type Service } from '../helpers/service.js';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  json: Record<string, unknown> | undefined;
}

/** A raw HTTP/1.1 request, with whatever Host and Origin a hostile page's browser would send. */
function request(service: Service, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Reply> {
  const url = new URL(service.httpUrl);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, method, path, headers, setHost: headers.Host === undefined }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        let json: Record<string, unknown> | undefined;
        try {
          json = JSON.parse(text) as Record<string, unknown>;
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, json });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const JSON_BODY = { 'Content-Type': 'application/json' };

describe('HTTP against careless clients and other web origins', () => {
  let service: Service;

  before(async () => {
    service = await startService({ network: { allowed_hosts: ['camera.lan'] } }, { frames: 5 });
  });

  after(async () => {
    assert.equal(await service.stop(), 0);
  });

  it('malformed percent-encoding is a 400 naming the field, and logs no error', async () => {
    for (const path of ['/events/x/%ff', '/events/%ff/', '/events/%E0%A4%A.zip', '/api/events/%/thumbnail.jpg']) {
      const reply = await request(service, 'GET', path);
      assert.equal(reply.status, 400, `${path}: ${reply.body}`);
      assert.equal(reply.json?.code, 'INVALID_ARGUMENT');
      assert.match(String(reply.json?.error), /^(event_id|file): expected a percent-encoded path segment/);
    }
    assert.equal(service.logs.filter((line) => line.level === 'error' || line.level === 'fatal' || line.msg === 'HTTP request failed').length, 0);
  });

  it('POST /api/trigger: unknown keys are refused and named; wait is honoured', async () => {
    const misspelt = await request(service, 'POST', '/api/trigger', JSON_BODY, '{"befor_s":5}');
    assert.equal(misspelt.status, 400);
    assert.deepEqual(misspelt.json, { code: 'INVALID_ARGUMENT', error: 'befor_s: unknown field', field: 'befor_s' });
    const badWait = await request(service, 'POST', '/api/trigger', JSON_BODY, '{"wait":"yes"}');
    assert.equal(badWait.status, 400);
    assert.equal(badWait.json?.field, 'wait');
    const waited = await request(service, 'POST', '/api/trigger', JSON_BODY, '{"wait":true,"before_s":0.2,"after_s":0.2}');
    assert.equal(waited.status, 200, waited.body);
    assert.equal(waited.json?.state, 'complete');
    assert.ok(Number(waited.json?.frames) > 0);
    const quick = await request(service, 'POST', '/api/trigger', JSON_BODY, '{}');
    assert.equal(quick.status, 202);
    assert.equal(quick.json?.state, 'pending');
  });

  it('serves only the names the camera is known by (DNS rebinding), and a LAN user by IP or host name', async () => {
    const rebound = await request(service, 'GET', '/api/status', { Host: 'attacker.example:8080' });
    assert.equal(rebound.status, 403);
    assert.equal(rebound.json?.field, 'Host');
    assert.equal((await request(service, 'GET', '/', { Host: `evil.${hostname()}.example` })).status, 403);
    for (const host of ['127.0.0.1', `localhost:${new URL(service.httpUrl).port}`, '192.168.1.50:8080', '[::1]:8080', hostname(), `${hostname().split('.')[0]}.local`, 'camera.lan', 'CAMERA.LAN.']) {
      assert.equal((await request(service, 'GET', '/api/status', { Host: host })).status, 200, host);
    }
    assert.equal((await request(service, 'GET', '/healthz', { Host: 'attacker.example' })).status, 200, '/healthz is exempt');
  });

  it('refuses a state-changing request from another origin; the page itself and curl may trigger', async () => {
    const own = new URL(service.httpUrl).host;
    const foreign = await request(service, 'POST', '/api/trigger', { ...JSON_BODY, Origin: 'http://attacker.example' }, '{}');
    assert.equal(foreign.status, 403);
    assert.equal(foreign.json?.field, 'Origin');
    assert.equal((await request(service, 'POST', '/api/trigger', { ...JSON_BODY, Origin: 'null' }, '{}')).status, 403);
    assert.equal((await request(service, 'POST', '/api/trigger', { ...JSON_BODY, 'Sec-Fetch-Site': 'cross-site' }, '{}')).status, 403);
    assert.equal((await request(service, 'POST', '/api/trigger', { ...JSON_BODY, Origin: `http://${own}` }, '{}')).status, 202);
    assert.equal((await request(service, 'POST', '/api/trigger', JSON_BODY, '{}')).status, 202);
  });

  it('the page cannot be framed', async () => {
    for (const path of ['/', '/api/status', '/nowhere']) {
      const reply = await request(service, 'GET', path);
      assert.equal(reply.headers['x-frame-options'], 'DENY', path);
      assert.equal(reply.headers['content-security-policy'], "frame-ancestors 'none'", path);
    }
  });
});
