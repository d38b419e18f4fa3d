import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { Health, HealthCheckResponse_ServingStatus } from '../../src/gen/grpc/health/v1/health_pb.js';
import { Encoding, EventState, PixelFormat } from '../../src/gen/picam/v1/camera_pb.js';
import { numpyLoad, readManifest } from '../helpers/files.js';
import { untilStatus, withCamera, type Camera } from '../helpers/camera.js';
import { createClient } from '../helpers/grpc-client.js';
import { FIXTURES, runService, type Service, type StartOptions } from '../helpers/service.js';

const FAKE_BIN = path.join(FIXTURES, 'bin');
const FAKE_V4L2_BIN = path.join(FIXTURES, 'v4l2-bin');

let scratch: string;
before(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'picam-sources-'));
});
after(() => rm(scratch, { recursive: true, force: true }));

/** Runs `body` against a service with the given camera config, then stops it (exit 0 expected). */
function withService(
  camera: Record<string, unknown>,
  options: StartOptions,
  body: (camera: Camera, service: Service) => Promise<void>,
  extra: Record<string, Record<string, unknown>> = {},
): Promise<void> {
  return withCamera({ camera: { width: 320, height: 240, framerate: 30, ...camera }, ...extra }, options, body);
}

const until = untilStatus;

const frames = (s: Awaited<ReturnType<Camera['getStatus']>>): number => Number(s.source?.framesCaptured ?? 0n);

describe('capture sources, each a real process', () => {
  it('rpicam: yuv420 frames from rpicam-vid with the camera index, flips and rotation', async () => {
    const argsLog = path.join(scratch, 'rpicam-args.log');
    const env = { FAKE_RPICAM_CAMERAS: '0 1', FAKE_RPICAM_ARGS_LOG: argsLog };
    await withService({ source: 'rpicam', index: 1, hflip: true, rotation: 180 }, { pathPrepend: [FAKE_BIN], env }, async (camera) => {
      const status = await until(camera, (s) => frames(s) > 20);
      assert.equal(status.source?.kind, 'rpicam');
      assert.equal(status.source?.pixelFormat, PixelFormat.YUV420);
      assert.equal(status.ring?.slotBytes, BigInt(320 * 240 * 1.5));
      const args = await readFile(argsLog, 'utf8');
      assert.match(args, /-t 0 --nopreview --verbose=0 --camera 1 --width 320 --height 240 --framerate 30 --codec yuv420 --flush --hflip --rotation 180 -o -/);

      const event = await camera.trigger({ beforeS: 0.3, afterS: 0.3, wait: true, formats: ['jpg', 'npy'] });
      assert.equal(event.state, EventState.COMPLETE);
      const manifest = await readManifest(event.dir);
      const ids = manifest.frames.map((f) => f.frame_id);
      assert.equal(ids.at(-1)! - ids[0]! + 1, ids.length, 'frames in order, none missing');
      assert.ok(manifest.frames.every((f) => f.dark_score > 20), 'dark score read from the Y plane');
      const jpg = await sharp(path.join(event.dir, manifest.frames[0]!.files.find((f) => f.endsWith('.jpg'))!)).metadata();
      assert.deepEqual([jpg.width, jpg.height], [320, 240]);
      const [npy] = await numpyLoad([path.join(event.dir, manifest.frames[0]!.files.find((f) => f.endsWith('.npy'))!)]);
      assert.deepEqual(npy!.shape, [240, 320, 3], 'I420 converted to RGB for export');

      const raw = camera.streamFrames({ encoding: Encoding.RAW, pixelFormat: PixelFormat.YUV420 });
      for await (const message of raw.stream) {
        assert.equal(message.frame!.data.length, 320 * 240 * 1.5, 'native I420 passes through');
        break;
      }
      raw.cancel();
    });
  });

  it('rpicam: mjpeg frames kept as the camera made them, scored by a decode', async () => {
    await withService({ source: 'rpicam', codec: 'mjpeg' }, { pathPrepend: [FAKE_BIN] }, async (camera) => {
      const status = await until(camera, (s) => frames(s) > 20);
      assert.equal(status.source?.pixelFormat, PixelFormat.JPEG);
      const night = await camera.getNightState({});
      assert.ok(night.darkScore > 20, `JPEG frames are scored: ${night.darkScore}`);
      const event = await camera.trigger({ beforeS: 0.2, afterS: 0.2, wait: true, formats: ['jpg', 'png'] });
      const manifest = await readManifest(event.dir);
      const first = manifest.frames[0]!;
      const jpg = await readFile(path.join(event.dir, first.files.find((f) => f.endsWith('.jpg'))!));
      assert.deepEqual([...jpg.subarray(0, 2)], [0xff, 0xd8]);
      const png = await sharp(path.join(event.dir, first.files.find((f) => f.endsWith('.png'))!)).metadata();
      assert.deepEqual([png.format, png.width], ['png', 320]);
    });
  });

  it('rpicam: a camera process that dies is restarted and frames resume', async () => {
    const env = { FAKE_RPICAM_DIE_ONCE: path.join(scratch, 'died-once'), FAKE_RPICAM_DIE_AFTER: '15' };
    await withService({ source: 'rpicam' }, { pathPrepend: [FAKE_BIN], env }, async (camera, service) => {
      const status = await until(camera, (s) => (s.source?.restarts ?? 0) >= 1 && frames(s) > 40);
      assert.match(status.source?.lastError ?? '', /rpicam-vid exited with code 1/);
      assert.equal(status.serving, true, 'serving again once frames flow');
      await service.waitForLog((l) => typeof l.msg === 'string' && l.msg.includes('fake camera failure'));
    });
  });

  it('rpicam: a camera that hangs is noticed, health goes NOT_SERVING, and it is restarted', async () => {
    await withService({ source: 'rpicam' }, { pathPrepend: [FAKE_BIN], env: { FAKE_RPICAM_HANG_AFTER: '10' } }, async (camera, service) => {
      const health = createClient(Health, service.grpcAddress);
      try {
        const watch = health.watch({ service: 'picam.v1.CameraService' });
        const seen: HealthCheckResponse_ServingStatus[] = [];
        for await (const message of watch.stream) {
          seen.push(message.status);
          if (seen.includes(HealthCheckResponse_ServingStatus.SERVING) && message.status === HealthCheckResponse_ServingStatus.NOT_SERVING) break;
        }
        watch.cancel();
        const status = await until(camera, (s) => (s.source?.restarts ?? 0) >= 1);
        assert.match(status.source?.lastError ?? '', /stalled: no frame for/);
      } finally {
        health.close();
      }
    });
  });

  it('v4l2: ffmpeg -f v4l2 on camera.device, raw frames of the configured size', async () => {
    const argsLog = path.join(scratch, 'v4l2-args.log');
    await withService({ source: 'v4l2', device: '/dev/video7', framerate: 15 }, { pathPrepend: [FAKE_V4L2_BIN], env: { FAKE_V4L2_ARGS_LOG: argsLog } }, async (camera) => {
      const status = await until(camera, (s) => frames(s) > 10);
      assert.equal(status.source?.kind, 'v4l2');
      assert.equal(status.source?.pixelFormat, PixelFormat.RGB24);
      assert.match(await readFile(argsLog, 'utf8'), /device=\/dev\/video7 size=320x240 rate=15/);
      const stream = camera.streamFrames({ encoding: Encoding.RAW });
      for await (const message of stream.stream) {
        assert.equal(message.frame!.data.length, 320 * 240 * 3);
        break;
      }
      stream.cancel();
    });
  });

  it('file: a recorded clip replayed in a loop at its own rate, scaled to the configured size', async () => {
    const clip = path.join(scratch, 'clip.avi');
    execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=10', '-t', '1', '-c:v', 'mjpeg', '-y', clip]);
    await withService({ source: 'file', file: clip, codec: 'yuv420' }, {}, async (camera) => {
      const status = await until(camera, (s) => frames(s) > 15, 30000);
      assert.equal(status.source?.kind, 'file');
      assert.equal(status.source?.width, 320);
      assert.ok((status.source?.framesPerSecond ?? 0) < 20, `plays at the clip's 10 fps, not camera.framerate: ${status.source?.framesPerSecond}`);
      assert.equal(status.source?.restarts, 0, 'looping is not a restart');
    });
  });

  it('auto: picks rpicam when it lists the camera, else synthetic, and says why', async () => {
    await withService({ source: 'auto' }, { pathPrepend: [FAKE_BIN] }, async (camera) => {
      const status = await until(camera, (s) => frames(s) > 5);
      assert.equal(status.source?.kind, 'rpicam');
      assert.match(status.source?.reason ?? '', /^auto: rpicam-vid lists camera 0/);
    });
    await withService({ source: 'auto' }, { pathPrepend: [FAKE_BIN], env: { FAKE_RPICAM_CAMERAS: '', PICAM_DEV_ROOT: scratch } }, async (camera) => {
      const status = await camera.getStatus({});
      assert.equal(status.source?.kind, 'synthetic');
      assert.match(status.source?.reason ?? '', /rpicam-vid lists no camera; no video devices in \S+; no V4L2 capture device; using synthetic/);
    });
  });

  it('a missing camera tool never stops the service: NOT_SERVING, retried with backoff', async () => {
    await withService({ source: 'rpicam' }, { env: { PATH: path.dirname(process.execPath) } }, async (camera) => {
      const status = await until(camera, (s) => (s.source?.restarts ?? 0) >= 2);
      assert.equal(status.serving, false);
      assert.match(status.source?.lastError ?? '', /rpicam-vid/);
    });
  });

  it('refuses at start, with the arithmetic, a ring larger than the memory available', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'picam-ring-'));
    try {
      const file = path.join(dir, 'config.json');
      const { writeFile } = await import('node:fs/promises');
      await writeFile(file, JSON.stringify({ camera: { source: 'synthetic', width: 7680, height: 4320, framerate: 240 }, ring: { seconds: 3600 }, network: { port: 0, grpc_port: 0, host: '127.0.0.1' } }));
      const result = await runService(['--config', file]);
      assert.equal(result.code, 2);
      assert.match(result.stderr, /ring\.seconds: 3600 s x 240 fps = 864000 frames x 99\.5 MB a frame = .* more than the .* of memory available/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
