import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { cameraClient, grpcError } from '../helpers/grpc-client.js';
import { FIXTURES, startService } from '../helpers/service.js';
import { LineClient } from '../helpers/sockets.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Child process ids of `pid`. */
function children(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return []; // pgrep exits 1 when there are none
  }
}

async function openFds(pid: number): Promise<number> {
  return (await readdir(`/proc/${pid}/fd`)).length;
}

describe('faults', () => {
  it('survives its camera process being SIGKILLed 50 times: restarts, frames resume, nothing leaks', async () => {
    const service = await startService(
      { camera: { source: 'rpicam', width: 160, height: 120, framerate: 30, restart_backoff_max_s: 0.2 } },
      { pathPrepend: [path.join(FIXTURES, 'bin')] },
    );
    const camera = cameraClient(service.grpcAddress);
    const pid = Number(service.logs.find((l) => typeof l.pid === 'number')?.pid);
    try {
      for (let i = 0; i < 50 && Number((await camera.getStatus({})).source?.framesCaptured ?? 0n) < 5; i++) await sleep(100);
      const fdsBefore = await openFds(pid);
      let kills = 0;
      let seed = 7;
      const deadline = Date.now() + 120_000; // a camera that is never restarted fails here instead of hanging
      while (kills < 50) {
        assert.ok(Date.now() < deadline, `only ${kills} of 50 kills in 120 s: the camera was not restarted`);
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        await sleep(30 + (seed % 250)); // a random moment: mid-frame, mid-start, mid-backoff
        const [child] = children(pid);
        if (child === undefined) continue; // between a death and its restart
        try {
          process.kill(child, 'SIGKILL');
          kills++;
        } catch {
          // it had just exited
        }
      }
      // Frames resume after the last kill.
      const after = Number((await camera.getStatus({})).source?.framesCaptured ?? 0n);
      let status = await camera.getStatus({});
      for (let i = 0; i < 100 && (Number(status.source?.framesCaptured ?? 0n) < after + 10 || !status.serving); i++) {
        await sleep(100);
        status = await camera.getStatus({});
      }
      assert.ok(Number(status.source?.framesCaptured) >= after + 10, 'frames flow again');
      assert.equal(status.serving, true);
      assert.ok((status.source?.restarts ?? 0) >= 40, `restarts: ${status.source?.restarts}`);
      assert.equal(children(pid).length, 1, 'exactly one camera process, none leaked');
      const fdsAfter = await openFds(pid);
      assert.ok(fdsAfter <= fdsBefore + 2, `open fds ${fdsBefore} -> ${fdsAfter}`);
    } finally {
      camera.close();
      assert.equal(await service.stop(), 0);
    }
  });

  it('restarts a camera tool that exited while its orphaned frame writer still holds the pipes and writes frames', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'picam-orphan-'));
    const pidFile = path.join(dir, 'orphan.pid');
    const service = await startService(
      { camera: { source: 'rpicam', width: 160, height: 120, framerate: 30, restart_backoff_max_s: 0.2 } },
      { pathPrepend: [path.join(FIXTURES, 'bin')], env: { FAKE_RPICAM_ORPHAN_PIDFILE: pidFile } },
    );
    const camera = cameraClient(service.grpcAddress);
    try {
      let status = await camera.getStatus({});
      for (let i = 0; i < 150 && ((status.source?.restarts ?? 0) < 1 || Number(status.source?.framesCaptured ?? 0n) < 30); i++) {
        await sleep(100);
        status = await camera.getStatus({});
      }
      assert.ok((status.source?.restarts ?? 0) >= 1, `restarts: ${status.source?.restarts}`);
      assert.ok(Number(status.source?.framesCaptured) >= 30, `frames after the restart: ${status.source?.framesCaptured}`);
      assert.equal(status.serving, true);
    } finally {
      camera.close();
      assert.equal(await service.stop(), 0);
      const orphan = Number(await readFile(pidFile, 'utf8').catch(() => '0'));
      if (orphan > 0) {
        try {
          process.kill(orphan, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('1,000 connections opened and abandoned on the line port leave it answering, with no fd leak', async () => {
    const service = await startService({ network: { max_connections: 16 } });
    const pid = Number(service.logs.find((l) => typeof l.pid === 'number')?.pid);
    try {
      const fdsBefore = await openFds(pid);
      for (let batch = 0; batch < 20; batch++) {
        const sockets = await Promise.all(
          Array.from({ length: 50 }, () => new Promise<net.Socket>((resolve, reject) => {
            const socket = net.connect(service.linePort, '127.0.0.1', () => resolve(socket));
            socket.on('error', reject);
          })),
        );
        // Half send a partial command and vanish, half just vanish.
        sockets.forEach((socket, i) => {
          if (i % 2 === 0) socket.write('SNA');
          socket.destroy();
        });
      }
      await sleep(500);
      const client = await LineClient.connect(service.linePort);
      assert.match(await client.command('STATUS'), /^OK source=synthetic serving=1/);
      client.destroy();
      await sleep(300);
      const fdsAfter = await openFds(pid);
      assert.ok(fdsAfter <= fdsBefore + 2, `open fds ${fdsBefore} -> ${fdsAfter}`);
    } finally {
      assert.equal(await service.stop(), 0);
    }
  });

  it('refuses an oversized gRPC request with RESOURCE_EXHAUSTED and keeps serving', async () => {
    const service = await startService({});
    const camera = cameraClient(service.grpcAddress);
    try {
      const error = await grpcError(camera.trigger({ reason: 'x'.repeat(2 * 1024 * 1024) }));
      assert.equal(error.code, grpc.status.RESOURCE_EXHAUSTED);
      assert.equal((await camera.getStatus({})).serving, true);
    } finally {
      camera.close();
      assert.equal(await service.stop(), 0);
    }
  });
});
