import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { it } from 'node:test';
import { Encoding } from '../../src/gen/picam/v1/camera_pb.js';
import { waitForManifest } from '../helpers/files.js';
import { cameraClient } from '../helpers/grpc-client.js';
import { startService } from '../helpers/service.js';

/** Seconds of load: 10 in `npm test`, 60 in `npm run test:soak`. */
const SECONDS = Number(process.env.PICAM_LOAD_SECONDS ?? 10);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function rssMb(pid: number): Promise<number> {
  return Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
}

it(`holds capture, memory and every event under load: 20 subscribers (5 stalled) and a trigger a second for ${SECONDS} s`, async (t) => {
  const service = await startService({ camera: { source: 'synthetic', width: 320, height: 240, framerate: 30 }, ring: { seconds: 3 }, export: { max_pending_events: 8 } });
  const camera = cameraClient(service.grpcAddress);
  const pid = Number(service.logs.find((l) => typeof l.pid === 'number')?.pid);
  try {
    await sleep(1000);
    const baseline = await rssMb(pid);
    const readers = Array.from({ length: 15 }, () => camera.streamFrames({ encoding: Encoding.JPEG, quality: 70 }));
    const stalled = Array.from({ length: 5 }, () => camera.streamFrames({ encoding: Encoding.RAW }));
    for (const s of stalled) {
      const stream = s.stream as unknown as { pause(): void; on(event: 'error', listener: () => void): void };
      stream.on('error', () => undefined); // the cancel at the end
      stream.pause(); // never read
    }
    let received = 0;
    const reading = readers.map(async (r) => {
      try {
        for await (const message of r.stream) if (message.frame) received++;
      } catch {
        // cancelled at the end
      }
    });
    const before = Number((await camera.getStatus({})).source?.framesCaptured ?? 0n);
    const started = performance.now();
    const events = [];
    let peak = baseline;
    for (let s = 0; s < SECONDS; s++) {
      events.push(await camera.trigger({ beforeS: 0.3, afterS: 0.3, formats: ['jpg'] }));
      for (let i = 0; i < 2; i++) {
        peak = Math.max(peak, await rssMb(pid));
        await sleep(500);
      }
    }
    const seconds = (performance.now() - started) / 1000;
    const captured = Number((await camera.getStatus({})).source?.framesCaptured ?? 0n) - before;
    [...readers, ...stalled].forEach((r) => r.cancel());
    await Promise.all(reading);
    const manifests = await Promise.all(events.map((e) => waitForManifest(e.dir)));
    const fps = captured / seconds;
    t.diagnostic(`capture ${fps.toFixed(1)} fps (asked 30); RSS ${baseline.toFixed(0)} MB -> peak ${peak.toFixed(0)} MB; ${received} frames to 15 readers; ${manifests.length} events`);
    assert.ok(manifests.every((m) => m.state === 'complete'), 'no event lost or cut');
    assert.equal(manifests.length, SECONDS);
    assert.ok(peak - baseline < 150, `RSS grew ${(peak - baseline).toFixed(0)} MB`);
    assert.ok(fps > 24, `capture held: ${fps.toFixed(1)} fps`);
    assert.ok(received > 15 * SECONDS * 5, 'the reading subscribers were served');
  } finally {
    camera.close();
    assert.equal(await service.stop(), 0);
  }
});
