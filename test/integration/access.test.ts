import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { PicamClient } from '../../clients/ts/src/index.js';
import { Health, HealthCheckResponse_ServingStatus } from '../../src/gen/grpc/health/v1/health_pb.js';
import { createClient, grpcError } from '../helpers/grpc-client.js';
import { startService, type Service } from '../helpers/service.js';
import { LineClient, netcat } from '../helpers/sockets.js';

const TOKEN = 's3cret-token';

describe('shared-secret token (network.token)', () => {
  let service: Service;

  before(async () => {
    service = await startService({ network: { token: TOKEN } });
  });

  after(async () => {
    assert.equal(await service.stop(), 0);
  });

  it('gRPC: CameraService needs "authorization: Bearer <token>"; health stays open', async () => {
    const anonymous = new PicamClient(service.grpcAddress);
    const wrong = new PicamClient(service.grpcAddress, { token: 'guess' });
    const right = new PicamClient(service.grpcAddress, { token: TOKEN });
    const health = createClient(Health, service.grpcAddress);
    try {
      assert.equal((await grpcError(anonymous.status())).code, grpc.status.UNAUTHENTICATED);
      assert.equal((await grpcError(wrong.trigger())).code, grpc.status.UNAUTHENTICATED);
      const stream = anonymous.frames({ encoding: 'metadata' });
      assert.equal((await grpcError(stream.next())).code, grpc.status.UNAUTHENTICATED, 'streams too');
      assert.equal((await right.status()).serving, true);
      assert.equal((await health.check({ service: '' })).status, HealthCheckResponse_ServingStatus.SERVING);
    } finally {
      [anonymous, wrong, right].forEach((c) => c.close());
      health.close();
    }
  });

  it('line: nothing but AUTH is answered until the token is sent; three wrong tokens close the connection', async () => {
    const client = await LineClient.connect(service.linePort);
    try {
      assert.equal(await client.command('SNAP'), 'ERR UNAUTHENTICATED send AUTH <token> first');
      assert.equal(await client.command(`AUTH ${TOKEN}`), 'OK authenticated');
      assert.match(await client.command('STATUS'), /^OK source=/);
    } finally {
      client.destroy();
    }
    const piped = await netcat(service.linePort, `AUTH ${TOKEN}\nSNAP\n`);
    assert.match(piped.stdout, /^OK authenticated\nOK \S+ \//);
    const guesser = await LineClient.connect(service.linePort);
    for (let i = 0; i < 3; i++) assert.equal(await guesser.command(`AUTH nope${i}`), 'ERR UNAUTHENTICATED wrong token');
    await guesser.closed;
  });

  it('Configure replies never carry the token (or the MQTT password)', async () => {
    const client = new PicamClient(service.grpcAddress, { token: TOKEN });
    try {
      const config = await client.configure({ 'night.dark_threshold': 41 }, { validateOnly: true });
      assert.equal(config?.network?.token, undefined);
      assert.equal(config?.network?.tokenSet, true);
      assert.equal(config?.mqtt?.password, undefined);
      assert.equal(config?.mqtt?.passwordSet, false);
      assert.ok(!JSON.stringify(config, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)).includes(TOKEN));
    } finally {
      client.close();
    }
  });

  it('never logs the token', () => {
    assert.ok(service.logs.length > 0);
    assert.ok(!JSON.stringify(service.logs).includes(TOKEN));
  });
});

describe('gRPC over TLS (network.tls_cert / tls_key)', () => {
  it('serves TLS clients that trust the certificate and refuses plaintext ones', async () => {
    const { mkdtemp, readFile, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const { execFileSync } = await import('node:child_process');
    const dir = await mkdtemp(path.join(tmpdir(), 'picam-tls-'));
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
    const service = await startService({ network: { tls_cert: cert, tls_key: key } });
    const secure = new PicamClient(service.grpcAddress.replace('127.0.0.1', 'localhost'), { tls: await readFile(cert) });
    const plain = new PicamClient(service.grpcAddress);
    try {
      assert.equal((await secure.status()).serving, true);
      assert.equal((await grpcError(plain.status())).code, grpc.status.UNAVAILABLE);
      assert.ok(service.logs.some((l) => l.grpc_tls === true));
    } finally {
      secure.close();
      plain.close();
      assert.equal(await service.stop(), 0);
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('needs both the certificate and the key', async () => {
    const { parseConfig, ConfigError } = await import('../../src/core/config/load-config.js');
    assert.throws(() => parseConfig({ network: { tls_cert: 'cert.pem' } }), (error: unknown) =>
      error instanceof ConfigError && error.issues[0]!.message === 'network.tls_key: expected both network.tls_cert and network.tls_key, or neither');
  });
});
