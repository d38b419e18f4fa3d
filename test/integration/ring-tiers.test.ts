import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { GetStatusResponse } from '../../src/gen/picam/v1/camera_pb.js';
import { numpyLoad, waitForManifest } from '../helpers/files.js';
import { cameraClient, type CameraClient } from '../helpers/grpc-client.js';
import { FIXTURES, startService } from '../helpers/service.js';

const run = promisify(execFile);

/** Polls GetStatus until `done` holds; a hang guard, not a timing assertion. */
async function until(camera: CameraClient, done: (s: GetStatusResponse) => boolean, timeoutMs = 60000): Promise<GetStatusResponse> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await camera.getStatus({});
    if (done(status)) return status;
    if (Date.now() > deadline) assert.fail(`status never reached the condition: ${JSON.stringify(status.ring, (_, v: unknown) => (typeof v === 'bigint' ? Number(v) : v))}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('ring tiers', () => {
  let scratch: string;
  before(async () => {
    scratch = await mkdtemp(path.join(tmpdir(), 'picam-tiers-'));
  });
  after(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it('mjpeg: camera JPEGs 10x apart in size are packed by bytes, and an export keeps every frame byte for byte', async () => {
    // Half a second of flat grey (tiny JPEGs), half a second of heavy noise (large ones), repeated.
    const clip = path.join(scratch, 'varying.avi');
    await run('ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', "color=c=gray:s=320x240:r=15,noise=alls=80:allf=t:enable='lt(mod(t,1),0.5)'",
      '-t', '4', '-c:v', 'mjpeg', '-q:v', '3', '-y', clip,
    ]);
    const maxBytes = 2_000_000;
    const slotBytes = 320 * 240 * 1.5;
    const service = await startService({
      camera: { source: 'file', file: clip, codec: 'mjpeg', width: 320, height: 240, framerate: 15 },
      ring: { max_bytes: maxBytes },
      export: { formats: ['jpg'] },
    });
    const camera = cameraClient(service.grpcAddress);
    try {
      const startLog = await service.waitForLog((l) => l.msg.startsWith('ring buffer:'));
      assert.equal(startLog.packed, true);
      const spanLog = await service.waitForLog((l) => l.msg.startsWith('ring holds ~'));
      assert.ok(Number(spanLog.capacity_s) > 0, 'the span at the sizes arriving is logged');
      // Fixed slots of an I420 frame's size would hold 17 frames; packed, the ring holds several times that.
      const status = await until(camera, (s) => (s.ring?.filledFrames ?? 0) > 3 * Math.floor(maxBytes / slotBytes) && Number(s.ring?.oldestFrameId ?? 0) > 1);
      assert.equal(status.ring?.packed, true);
      assert.equal(Number(status.ring?.payloadBytes), maxBytes);
      assert.ok(Number(status.ring?.bytesHeld) <= maxBytes);
      assert.ok((status.ring?.capacityS ?? 0) > 3, `capacity_s ${status.ring?.capacityS} at the sizes held`);
      const response = await camera.trigger({ beforeS: 3, afterS: 0, reason: 'varying sizes', wait: true });
      const manifest = await waitForManifest(response.dir);
      assert.deepEqual(manifest.missing, []);
      assert.equal(manifest.state, 'complete');
      assert.ok(manifest.frames.length >= 30, `${manifest.frames.length} frames`);
      assert.ok(manifest.frames.every((f, i) => i === 0 || f.frame_id === manifest.frames[i - 1]!.frame_id + 1), 'consecutive frame ids');
      assert.ok(manifest.frames.every((f) => f.tier === 'raw'));
      const sizes: number[] = [];
      for (const frame of manifest.frames) {
        const jpeg = await readFile(path.join(response.dir, frame.files[0]!));
        assert.equal(jpeg.readUInt16BE(0), 0xffd8, 'starts with SOI');
        assert.equal(jpeg.readUInt16BE(jpeg.length - 2), 0xffd9, 'ends with EOI: no torn frame');
        sizes.push(jpeg.length);
      }
      assert.ok(Math.max(...sizes) >= 10 * Math.min(...sizes), `frame sizes ${Math.min(...sizes)}..${Math.max(...sizes)} vary 10x`);
    } finally {
      camera.close();
      assert.equal(await service.stop(), 0);
    }
  });

  it('mjpeg from rpicam-vid: a before_s window spanning most of the byte ring exports every frame it holds', async () => {
    // The Pi path: the fake rpicam-vid's JPEGs (quality 50, ~8.5 KB at 320x240), a ring of ~75 of them.
    const service = await startService(
      { camera: { source: 'rpicam', codec: 'mjpeg', width: 320, height: 240, framerate: 15 }, ring: { max_bytes: 640_000 }, export: { formats: ['jpg'] } },
      { pathPrepend: [path.join(FIXTURES, 'bin')], env: { FAKE_RPICAM_STARTUP_S: '0' } },
    );
    const camera = cameraClient(service.grpcAddress);
    try {
      // Lapped twice over, so the window's oldest frames are the next the ring evicts.
      const status = await until(camera, (s) => Number(s.ring?.oldestFrameId ?? 0) > 2 * (s.ring?.filledFrames ?? Infinity) && (s.ring?.spanS ?? 0) > 3);
      const held = status.ring!.filledFrames;
      const beforeS = 0.85 * status.ring!.spanS;
      const response = await camera.trigger({ beforeS, afterS: 0, reason: 'most of the ring', wait: true });
      const manifest = await waitForManifest(response.dir);
      assert.deepEqual(manifest.missing, [], 'no frame of the window lost, none before the oldest held');
      assert.equal(manifest.state, 'complete');
      assert.ok(manifest.frames.every((f, i) => i === 0 || f.frame_id === manifest.frames[i - 1]!.frame_id + 1), 'consecutive frame ids');
      assert.ok(manifest.frames.length >= Math.floor(0.8 * held), `${manifest.frames.length} frames exported of the ${held} the ring held`);
      assert.ok(manifest.frames[0]!.monotonic_ms >= manifest.window.start_monotonic_ms);
      for (const frame of manifest.frames) {
        const jpeg = await readFile(path.join(response.dir, frame.files[0]!));
        assert.equal(jpeg.readUInt16BE(0), 0xffd8, 'starts with SOI');
        assert.equal(jpeg.readUInt16BE(jpeg.length - 2), 0xffd9, 'ends with EOI: no torn frame');
      }
    } finally {
      camera.close();
      assert.equal(await service.stop(), 0);
    }
  });

  it('raw + compressed tier: an export older than the raw ring takes frames from the JPEG tier and the manifest says which', async () => {
    const service = await startService({
      camera: { source: 'synthetic', width: 320, height: 240, framerate: 15 },
      ring: { seconds: 1, compressed_seconds: 4, compressed_quality: 70 },
      export: { formats: ['jpg', 'npy'] },
    });
    const camera = cameraClient(service.grpcAddress);
    try {
      // The raw ring (15 frames) has lapped several times, the tier holds more than the window.
      const status = await until(camera, (s) => Number(s.ring?.oldestFrameId ?? 0) > 45 && (s.ring?.compressedTier?.spanS ?? 0) >= 3.2);
      const tierStatus = status.ring?.compressedTier;
      assert.equal(tierStatus?.quality, 70);
      assert.ok(Number(tierStatus?.framesEncoded) > 45);
      assert.ok(Number(tierStatus?.oldestFrameId) < Number(status.ring?.oldestFrameId), 'the tier reaches further back than the raw ring');
      const response = await camera.trigger({ beforeS: 3, afterS: 0, reason: 'tiers', wait: true });
      const manifest = await waitForManifest(response.dir);
      const tiers = new Set(manifest.frames.map((f) => f.tier));
      assert.deepEqual([...tiers].sort(), ['jpeg q70', 'raw']);
      // The oldest frames come from the tier, the newest are exact: tiers never interleave.
      const firstRaw = manifest.frames.findIndex((f) => f.tier === 'raw');
      assert.ok(firstRaw > 0 && manifest.frames.slice(firstRaw).every((f) => f.tier === 'raw'));
      // A frame the tier skipped (a loaded machine) is listed as missing with that reason, never passed off.
      for (const gap of manifest.missing) assert.match(gap.reason, /skipped by the compressed tier/);
      const held = manifest.frames.length + manifest.missing.reduce((n, g) => n + g.last_id - g.first_id + 1, 0);
      assert.ok(held >= 40, `${held} frames in a 3 s window at 15 fps`);
      const tierFrame = manifest.frames[0]!;
      const rawFrame = manifest.frames.at(-1)!;
      for (const frame of [tierFrame, rawFrame]) {
        assert.deepEqual(frame.files.map((f) => path.extname(f)).sort(), ['.jpg', '.npy']);
        for (const file of frame.files) assert.ok((await stat(path.join(response.dir, file))).size > 0);
      }
      const [tierNpy, rawNpy] = await numpyLoad([tierFrame, rawFrame].map((f) => path.join(response.dir, f.files.find((n) => n.endsWith('.npy'))!)));
      assert.deepEqual(tierNpy!.shape, [240, 320, 3]);
      assert.deepEqual(rawNpy!.shape, [240, 320, 3]);
      const event = await camera.getEvent({ eventId: response.eventId });
      assert.equal(event.frames[0]!.tier, 'jpeg q70');
      assert.equal(event.frames.at(-1)!.tier, 'raw');
      const metrics = await (await fetch(`${service.httpUrl}/metrics`)).text();
      assert.match(metrics, /picam_compressed_tier_encoded_total \d+/);
      assert.match(metrics, /picam_compressed_tier_skipped_total \d+/);
    } finally {
      camera.close();
      assert.equal(await service.stop(), 0);
    }
  });
});
