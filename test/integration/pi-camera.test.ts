import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { CameraService, Encoding, EventState } from '../../src/gen/picam/v1/camera_pb.js';
import { readManifest } from '../helpers/files.js';
import { untilStatus, withCamera, type Camera, type Status } from '../helpers/camera.js';
import { createClient } from '../helpers/grpc-client.js';
import { FIXTURES, startService, type Service, type StartOptions } from '../helpers/service.js';

/**
 * The rpicam source against a fake rpicam-vid that writes the real tool's
 * bytes: rows padded to the Pi's ISP stride, full-range YUV, start-up
 * chatter, a camera held until the holder has exited.
 */
const run = promisify(execFile);
const FAKE_BIN = path.join(FIXTURES, 'bin');

let scratch: string;
before(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'picam-pi-'));
});
after(() => rm(scratch, { recursive: true, force: true }));

/** A fake /sys whose device tree names the board. */
async function boardSys(model: string): Promise<string> {
  const sys = await mkdtemp(path.join(scratch, 'sys-'));
  await mkdir(path.join(sys, 'firmware/devicetree/base'), { recursive: true });
  await writeFile(path.join(sys, 'firmware/devicetree/base/model'), `${model}\0`);
  return sys;
}

/** A service on the fake rpicam-vid at 320x240 unless `camera` says otherwise. */
function withRpicam(camera: Record<string, unknown>, options: StartOptions, body: (camera: Camera, service: Service) => Promise<void>): Promise<void> {
  return withCamera({ camera: { source: 'rpicam', width: 320, height: 240, framerate: 30, ...camera }, ring: { frames: 60 } }, { pathPrepend: [FAKE_BIN], ...options }, body);
}

const until = (camera: Camera, done: (s: Status) => boolean, timeoutMs = 30000): Promise<Status> => untilStatus(camera, done, timeoutMs);

/** RGB of pixels of an .npy file, read by the real numpy. */
async function npyPixels(file: string, points: Array<[number, number]>): Promise<number[][]> {
  const script = 'import json, sys\nimport numpy as np\na = np.load(sys.argv[1])\nprint(json.dumps([a[int(y), int(x)].tolist() for x, y in json.loads(sys.argv[2])]))';
  const { stdout } = await run('python3', ['-c', script, file, JSON.stringify(points)]);
  return JSON.parse(stdout) as number[][];
}

async function pngPixels(file: string | Buffer, points: Array<[number, number]>): Promise<number[][]> {
  const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
  return points.map(([x, y]) => [...data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3)]);
}

/** Mean absolute difference of two images' RGB. */
async function meanDifference(a: string, b: string): Promise<number> {
  const [x, y] = await Promise.all([a, b].map((file) => sharp(file).removeAlpha().raw().toBuffer()));
  assert.equal(x!.length, y!.length);
  let sum = 0;
  for (let i = 0; i < x!.length; i++) sum += Math.abs(x![i]! - y![i]!);
  return sum / x!.length;
}

/** The fake's "gradient" picture at (x, y), converted with full-range BT.601 (sYCC). */
function gradientRgb(x: number, y: number, width: number, height: number): number[] {
  const luma = 16 + ((3 * x + 5 * y) % 220);
  const u = x < width / 2 ? 90 : 170;
  const v = y < height / 2 ? 100 : 160;
  const clamp = (n: number): number => Math.max(0, Math.min(255, Math.round(n)));
  return [clamp(luma + 1.402 * (v - 128)), clamp(luma - 0.344136 * (u - 128) - 0.714136 * (v - 128)), clamp(luma + 1.772 * (u - 128))];
}

/** Points spread over the frame, away from the chroma edges in the middle. */
function samplePoints(width: number, height: number): Array<[number, number]> {
  const points: Array<[number, number]> = [];
  for (const fx of [0, 0.13, 0.31, 0.7, 0.93, 1]) {
    for (const fy of [0, 0.2, 0.41, 0.6, 0.87, 1]) points.push([Math.min(width - 1, Math.round(fx * width)), Math.min(height - 1, Math.round(fy * height))]);
  }
  return points;
}

function assertNear(actual: number[][], expected: number[][], tolerance: number, what: string): void {
  actual.forEach((pixel, i) => {
    const off = pixel.some((value, c) => Math.abs(value - expected[i]![c]!) > tolerance);
    assert.ok(!off, `${what}: pixel ${i} is ${JSON.stringify(pixel)}, expected ${JSON.stringify(expected[i])} (±${tolerance})`);
  });
}

/**
 * A Pi 4's /dev and /sys with no camera: codec and ISP nodes (10-18), a
 * raw sensor receiver, and a UVC camera's metadata node, none a webcam.
 */
async function piWithoutWebcam(): Promise<{ dev: string; sys: string }> {
  const root = await mkdtemp(path.join(scratch, 'host-'));
  const dev = path.join(root, 'dev');
  const sys = path.join(root, 'sys');
  await mkdir(dev, { recursive: true });
  const nodes: Array<[number, string, string, number]> = [
    [0, 'unicam-image', 'unicam', 0],
    [10, 'bcm2835-codec-decode', 'bcm2835-codec', 0],
    [11, 'bcm2835-codec-encode', 'bcm2835-codec', 0],
    [13, 'bcm2835-isp0-output0', 'bcm2835-isp', 0],
    [18, 'bcm2835-codec-image_fx', 'bcm2835-codec', 0],
    [19, 'rpivid', 'rpivid', 0],
    [3, 'USB Camera: metadata', 'uvcvideo', 1],
  ];
  for (const [n, name, driver, index] of nodes) {
    await writeFile(path.join(dev, `video${n}`), '');
    const node = path.join(sys, 'class/video4linux', `video${n}`);
    await mkdir(path.join(node, 'device'), { recursive: true });
    await writeFile(path.join(node, 'name'), `${name}\n`);
    await writeFile(path.join(node, 'index'), `${index}\n`);
    await symlink(`../../../../bus/platform/drivers/${driver}`, path.join(node, 'device/driver'));
  }
  return { dev, sys };
}

describe('auto on a Pi whose /dev/video nodes are no cameras', () => {
  it('skips every codec, ISP, sensor-receiver and metadata node, says why for each, and falls back to synthetic', async () => {
    const host = await piWithoutWebcam();
    // No rpicam-vid on PATH: the rpicam listing is not there to save the day.
    const service = await startService({ camera: { source: 'auto' } }, { env: { PICAM_DEV_ROOT: host.dev, PICAM_SYS_ROOT: host.sys } });
    const client = createClient(CameraService, service.grpcAddress) as unknown as Camera;
    try {
      const status = await until(client, (s) => Number(s.source?.framesCaptured ?? 0n) > 2);
      assert.equal(status.source?.kind, 'synthetic');
      const reason = status.source?.reason ?? '';
      for (const [n, why] of [[0, 'raw sensor receiver'], [10, 'Pi video codec'], [13, 'Pi ISP'], [19, 'HEVC decoder'], [3, 'metadata']] as const) {
        assert.match(reason, new RegExp(`video${n} \\([^)]*\\): skipped, [^;]*${why}`), reason);
      }
      assert.match(reason, /no V4L2 capture device; using synthetic$/);
      assert.ok(service.logs.some((l) => l.msg === 'frame source: synthetic' && String(l.reason).includes('skipped')), 'the log says why');
    } finally {
      client.close();
      assert.equal(await service.stop(), 0);
    }
  });
});

describe('rpicam frames from a real Pi camera stack, as the fake writes them', () => {
  const boards = [
    { model: 'Raspberry Pi 5 Model B Rev 1.0', align: 128 },
    { model: 'Raspberry Pi 4 Model B Rev 1.5', align: 64 },
  ];
  for (const { model, align } of boards) {
    for (const [width, height] of [[320, 240], [800, 600]] as const) {
      it(`${width}x${height} on a ${model.slice(0, 15)} (rows aligned to ${align}): exported frames are whole, every pixel where it belongs`, async () => {
        const stride = Math.ceil(width / align) * align;
        const env = { PICAM_SYS_ROOT: await boardSys(model), FAKE_RPICAM_ALIGN: String(align), FAKE_RPICAM_PATTERN: 'gradient' };
        await withRpicam({ width, height, framerate: 15 }, { env }, async (camera, service) => {
          const line = await service.waitForLog((l) => l.msg.startsWith('rpicam-vid I420 rows'));
          assert.match(line.msg, new RegExp(`Y stride ${stride}, U/V stride ${stride / 2} bytes`));
          await until(camera, (s) => Number(s.source?.framesCaptured ?? 0n) > 5);
          const event = await camera.trigger({ beforeS: 0.2, afterS: 0.2, wait: true, formats: ['png', 'npy', 'jpg'] });
          assert.equal(event.state, EventState.COMPLETE);
          const manifest = await readManifest(event.dir);
          assert.deepEqual(manifest.capture, { format: 'yuv420', width, height, color_range: 'full' });
          const points = samplePoints(width, height);
          const expected = points.map(([x, y]) => gradientRgb(x, y, width, height));
          for (const frame of [manifest.frames[0]!, manifest.frames.at(-1)!]) {
            const file = (ext: string): string => path.join(event.dir, frame.files.find((f) => f.endsWith(ext))!);
            assertNear(await npyPixels(file('.npy'), points), expected, 2, `frame ${frame.frame_id} npy`);
            assertNear(await pngPixels(file('.png'), points), expected, 2, `frame ${frame.frame_id} png`);
            // The jpg is encoded from the I420 planes, not from the png's RGB: a stride or range slip there shows as a different picture.
            const jpgError = await meanDifference(file('.jpg'), file('.png'));
            assert.ok(jpgError < 3, `frame ${frame.frame_id}: jpg differs from the png by ${jpgError.toFixed(2)} levels on average`);
          }
        });
      });
    }
  }

  it('full-range levels stay as they are: 16 stays 16, 128 stays 128, 235 stays 235 (not stretched to 0/255)', async () => {
    const env = { PICAM_SYS_ROOT: await boardSys('Raspberry Pi 5 Model B Rev 1.0'), FAKE_RPICAM_ALIGN: '128', FAKE_RPICAM_PATTERN: 'levels' };
    await withRpicam({}, { env }, async (camera) => {
      await until(camera, (s) => Number(s.source?.framesCaptured ?? 0n) > 5);
      const event = await camera.trigger({ beforeS: 0.1, afterS: 0.1, wait: true, formats: ['png', 'npy', 'jpg'] });
      const frame = (await readManifest(event.dir)).frames[0]!;
      const points: Array<[number, number]> = [[10, 10], [160, 120], [310, 230]];
      const expected = [[16, 16, 16], [128, 128, 128], [235, 235, 235]];
      assertNear(await npyPixels(path.join(event.dir, frame.files.find((f) => f.endsWith('.npy'))!), points), expected, 1, 'npy');
      assertNear(await pngPixels(path.join(event.dir, frame.files.find((f) => f.endsWith('.png'))!), points), expected, 1, 'png');
      assertNear(await pngPixels(path.join(event.dir, frame.files.find((f) => f.endsWith('.jpg'))!), points), expected, 2, 'jpg');
      // A full-size StreamFrames JPEG is encoded from the planes too (the shared encoder's native path).
      const call = camera.streamFrames({ encoding: Encoding.JPEG, quality: 90 });
      let streamed: Uint8Array | undefined;
      for await (const message of call.stream) {
        streamed = message.frame?.data;
        break;
      }
      call.cancel();
      assertNear(await pngPixels(Buffer.from(streamed!), points), expected, 2, 'streamed jpeg');
      const night = await camera.getNightState({});
      assert.ok(Math.abs(night.darkScore - (16 + 128 + 235) / 3) < 3, `dark score is the mean of the unpadded luma, got ${night.darkScore}`);
    });
  });

  it('the compressed tier of I420 frames (JPEG from the planes) keeps the camera\'s picture: a tier frame\'s jpg matches a raw frame\'s png', async () => {
    const env = { PICAM_SYS_ROOT: await boardSys('Raspberry Pi 5 Model B Rev 1.0'), FAKE_RPICAM_ALIGN: '128', FAKE_RPICAM_PATTERN: 'gradient' };
    const overrides = { camera: { source: 'rpicam', width: 320, height: 240, framerate: 15 }, ring: { seconds: 1, compressed_seconds: 4, compressed_quality: 90 } };
    await withCamera(overrides, { pathPrepend: [FAKE_BIN], env }, async (camera) => {
      await until(camera, (s) => Number(s.ring?.oldestFrameId ?? 0) > 30 && (s.ring?.compressedTier?.spanS ?? 0) >= 2.5);
      const event = await camera.trigger({ beforeS: 2.5, afterS: 0, wait: true, formats: ['jpg', 'png'] });
      const manifest = await readManifest(event.dir);
      const tierFrame = manifest.frames[0]!;
      const rawFrame = manifest.frames.at(-1)!;
      assert.equal(tierFrame.tier, 'jpeg q90');
      assert.equal(rawFrame.tier, 'raw');
      // The fake's gradient is the same every frame: the tier's JPEG of one frame must show the raw png of another.
      const file = (frame: typeof tierFrame, ext: string): string => path.join(event.dir, frame.files.find((f) => f.endsWith(ext))!);
      const error = await meanDifference(file(tierFrame, '.jpg'), file(rawFrame, '.png'));
      assert.ok(error < 3, `tier jpg differs from the raw png by ${error.toFixed(2)} levels on average`);
    });
  });

  it('a fast restart after a stall waits for the old rpicam-vid to let go of the camera: never "failed to acquire camera"', async () => {
    const env = {
      FAKE_RPICAM_LOCK: path.join(scratch, 'camera-lock'),
      FAKE_RPICAM_HANG_AFTER: '10',
      FAKE_RPICAM_RELEASE_S: '1.5', // longer than the first backoff step (0.5 s)
    };
    await withRpicam({ restart_backoff_max_s: 0.5 }, { env }, async (camera, service) => {
      await until(camera, (s) => (s.source?.restarts ?? 0) >= 3 && Number(s.source?.framesCaptured ?? 0n) >= 40, 60000);
      const busy = service.logs.filter((l) => /failed to acquire camera|exited with code 255/.test(l.msg));
      assert.deepEqual(busy, [], 'no restart found the camera still held');
      assert.ok(service.logs.some((l) => /stalled: no frame/.test(l.msg)), 'the stalls were noticed');
      assert.ok(service.logs.some((l) => /waiting for the previous rpicam-vid \(pid \d+\) to exit/.test(l.msg)), 'the restart waited for the old process');
    });
  });

  it('a second instance is refused while the first holds the camera (the fake tells the truth)', async () => {
    const lock = path.join(scratch, 'held-lock');
    await writeFile(lock, `${process.pid}\n`); // this test process "holds the camera"
    const result = await run(path.join(FAKE_BIN, 'rpicam-vid'), ['-t', '0', '--verbose=0', '--codec', 'yuv420', '-o', '-'], { env: { ...process.env, FAKE_RPICAM_LOCK: lock } }).catch(
      (error: { code: number; stderr: string }) => error,
    );
    assert.equal((result as { code: number }).code, 255);
    assert.match((result as { stderr: string }).stderr, /^ERROR: \*\*\* failed to acquire camera \/base\/\S+ \*\*\*$/m);
  });

  it('"Device timeout detected": the tool restarts itself, the error line reaches the log as a warning, chatter does not', async () => {
    await withRpicam({}, { env: { FAKE_RPICAM_TIMEOUT_AFTER: '10' } }, async (camera, service) => {
      const warning = await service.waitForLog((l) => l.msg.includes('Device timeout detected'));
      assert.equal(warning.level, 'warn');
      const status = await until(camera, (s) => Number(s.source?.framesCaptured ?? 0n) > 25);
      assert.equal(status.source?.restarts, 0, 'frames went on without picam restarting the tool');
      assert.ok(!service.logs.some((l) => /INFO (Camera|RPI)|Mode selection/.test(l.msg)), 'rpicam-vid runs quiet (--verbose=0)');
    });
  });
});

describe('USB webcam (v4l2) at 720p', () => {
  const FAKE_V4L2_BIN = path.join(FIXTURES, 'v4l2-bin');
  it("reads the webcam's MJPEG, sets a manual exposure in the device's units, and logs the rate it really gives", async () => {
    const argsLog = path.join(scratch, 'v4l2-720p.log');
    const ctlLog = path.join(scratch, 'v4l2-ctl.log');
    const camera = { source: 'v4l2', device: '/dev/video4', width: 1280, height: 720, framerate: 10, exposure_us: 500_000, gain: 4 };
    const service = await startService({ camera }, { pathPrepend: [FAKE_V4L2_BIN], env: { FAKE_V4L2_ARGS_LOG: argsLog, FAKE_V4L2_CTL_LOG: ctlLog } });
    try {
      await service.waitForLog((l) => l.msg.includes("reading the webcam's MJPEG at 1280x720"));
      await service.waitForLog((l) => /controls: exposure exposure_time_absolute 3-2047 \(100 µs units\), gain gain 0-255/.test(l.msg));
      const rate = await service.waitForLog((l) => l.msg.startsWith('capture rate:'), 30000);
      assert.match(rate.msg, /^capture rate: [\d.]+ fps measured, 10 asked for$/);
      const { readFile } = await import('node:fs/promises');
      assert.match(await readFile(argsLog, 'utf8'), /device=\/dev\/video4 size=1280x720 rate=10 input_format=mjpeg/);
      // 500 ms = 5000 units, past the device's 2047; gain 4 of picam's 1-16 is a fifth of the device's 0-255.
      assert.equal((await readFile(ctlLog, 'utf8')).trim(), 'auto_exposure=1,exposure_time_absolute=2047,gain=51');
      assert.ok(service.logs.some((l) => l.level === 'warn' && /exposure_time_absolute 5000 clamped to the device's 3-2047/.test(l.msg)));
    } finally {
      assert.equal(await service.stop(), 0);
    }
  });

  it('falls back to the raw format when the webcam has no MJPEG, and says so', async () => {
    const argsLog = path.join(scratch, 'v4l2-raw.log');
    const service = await startService(
      { camera: { source: 'v4l2', device: '/dev/video4', width: 1280, height: 720, framerate: 10 } },
      { pathPrepend: [FAKE_V4L2_BIN], env: { FAKE_V4L2_ARGS_LOG: argsLog, FAKE_V4L2_FORMATS: 'yuyv422' } },
    );
    try {
      await service.waitForLog((l) => l.msg.includes('no MJPEG at 1280x720; reading its raw format'));
      const { readFile } = await import('node:fs/promises');
      for (let i = 0; i < 100 && !(await readFile(argsLog, 'utf8').catch(() => '')); i++) await new Promise((r) => setTimeout(r, 100));
      assert.match(await readFile(argsLog, 'utf8'), /input_format=raw/);
    } finally {
      assert.equal(await service.stop(), 0);
    }
  });
});
