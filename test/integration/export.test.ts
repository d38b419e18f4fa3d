import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { timestampMs } from '@bufbuild/protobuf/wkt';
import sharp from 'sharp';
import { CameraService, EventState } from '../../src/gen/picam/v1/camera_pb.js';
import { leftoverTempFiles, numpyLoad, readManifest, waitForManifest } from '../helpers/files.js';
import { createClient, grpcError } from '../helpers/grpc-client.js';
import { startService, type Service } from '../helpers/service.js';
import { LineClient } from '../helpers/sockets.js';

const run = promisify(execFile);
type Camera = ReturnType<typeof createClient<typeof CameraService extends { method: infer M } ? { [K in keyof M]: M[K] } : never>>;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));


/** Pixels of an .npy written by picam (v1.0 header, uint8): skips the header. */
async function npyPixels(file: string): Promise<Buffer> {
  const bytes = await readFile(file);
  return bytes.subarray(10 + bytes.readUInt16LE(8));
}

function mean(data: Uint8Array): number {
  let sum = 0;
  for (const v of data) sum += v;
  return sum / data.length;
}

/** Temporal noise: std-dev of the difference of two images of a still scene, over sqrt(2). */
function noise(a: Uint8Array, b: Uint8Array, rows: number, rowBytes: number): number {
  let sum = 0;
  let squares = 0;
  const n = rows * rowBytes;
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    sum += d;
    squares += d * d;
  }
  return Math.sqrt(squares / n - (sum / n) ** 2) / Math.SQRT2;
}

describe('export on trigger', () => {
  let service: Service;
  let camera: Camera;

  before(async () => {
    service = await startService({
      camera: { source: 'synthetic', width: 320, height: 240, framerate: 30 },
      export: { formats: ['jpg', 'png', 'npy', 'mp4'], save_before_s: 0.5, save_after_s: 0.5, max_pending_events: 3, allow_runtime_base_dir: true },
    }, { clock: 'frames', frames: 36 });
    camera = createClient(CameraService, service.grpcAddress);
  });

  after(async () => {
    camera.close();
    assert.equal(await service.stop(), 0);
  });

  it('SNAP writes every frame of the window in all formats, an mp4 clip and a consistent manifest', async () => {
    const client = await LineClient.connect(service.linePort);
    const reply = await client.command('SNAP wait');
    client.destroy();
    const [, id, dir, state, count] = /^OK (\S+) (\S+) (\w+) frames=(\d+)$/.exec(reply) ?? assert.fail(reply);
    assert.equal(state, 'complete');
    const manifest = await readManifest(dir!);
    assert.equal(manifest.event_id, id);
    // 1 s at 30 fps on the frame clock: exactly 30 frames, consecutive, however loaded the machine.
    assert.equal(manifest.frames.length, 30);
    assert.ok(manifest.frames.every((f, i) => i === 0 || f.frame_id === manifest.frames[i - 1]!.frame_id + 1), 'consecutive frame ids');
    const span = manifest.frames.at(-1)!.monotonic_ms - manifest.frames[0]!.monotonic_ms;
    assert.ok(Math.abs(span - (29 * 1000) / 30) < 0.01, `frames 1/30 s apart: ${span} ms for 29 intervals`);
    assert.deepEqual(manifest.missing, []);
    assert.equal(manifest.frames.length, Number(count));
    const mono = manifest.frames.map((f) => f.monotonic_ms);
    assert.ok(mono.every((m) => m >= manifest.window.start_monotonic_ms && m <= manifest.window.end_monotonic_ms), 'window chosen on the monotonic clock');
    const onDisk = new Set(await readdir(dir!));
    for (const frame of manifest.frames) {
      assert.equal(frame.files.length, 3);
      for (const file of frame.files) assert.ok(onDisk.has(file), `${file} listed and present`);
    }
    const listed = new Set(manifest.frames.flatMap((f) => f.files));
    const unlisted = [...onDisk].filter((f) => !listed.has(f) && f !== 'event.json' && f !== 'clip.mp4');
    assert.deepEqual(unlisted, [], 'nothing on disk the manifest does not list');
    const middle = manifest.frames[Math.floor(manifest.frames.length / 2)]!;
    for (const ext of ['jpg', 'png']) {
      const info = await sharp(path.join(dir!, middle.files.find((f) => f.endsWith(ext))!)).metadata();
      assert.deepEqual([info.width, info.height], [320, 240]);
    }
    const [npy] = await numpyLoad([path.join(dir!, middle.files.find((f) => f.endsWith('.npy'))!)]);
    assert.deepEqual(npy!.shape, [240, 320, 3]);
    assert.equal(manifest.clip, 'clip.mp4');
    const probe = JSON.parse(
      (await run('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,nb_read_frames,avg_frame_rate', '-of', 'json', path.join(dir!, 'clip.mp4')])).stdout,
    ) as { streams: Array<{ codec_name: string; nb_read_frames: string; avg_frame_rate: string }> };
    assert.equal(probe.streams[0]!.codec_name, 'h264');
    assert.equal(Number(probe.streams[0]!.nb_read_frames), manifest.frames.length, 'the clip holds every frame');
    const [num, den] = probe.streams[0]!.avg_frame_rate.split('/').map(Number);
    // The clip is timed by the frames' own timestamps, which the frame clock makes exactly 1/30 s apart.
    assert.ok(Math.abs(num! / den! - 30) < 0.01, `clip at the frames' rate: ${probe.streams[0]!.avg_frame_rate}`);
    assert.deepEqual(await leftoverTempFiles(dir!), []);
  });

  it('SAVE before=1 after=1 formats=npy is honoured', async () => {
    const client = await LineClient.connect(service.linePort);
    const reply = await client.command('SAVE before=1 after=1 formats=npy');
    client.destroy();
    const dir = reply.split(' ')[2]!;
    const manifest = await waitForManifest(dir);
    assert.deepEqual(manifest.formats, ['npy']);
    assert.deepEqual([manifest.window.before_s, manifest.window.after_s], [1, 1]);
    assert.equal(manifest.frames.length, 60, '2 s at 30 fps');
    assert.ok(manifest.frames.every((f) => f.files.length === 1 && f.files[0]!.endsWith('.npy')));
  });

  it('overlapping triggers make two events that share frames', async () => {
    const first = await camera.trigger({ beforeS: 0.5, afterS: 0.5, formats: ['jpg'] });
    await sleep(300);
    const second = await camera.trigger({ beforeS: 0.5, afterS: 0.5, formats: ['jpg'] });
    assert.notEqual(first.eventId, second.eventId);
    assert.ok(second.eventId > first.eventId, 'ids sort by trigger time');
    const [a, b] = await Promise.all([waitForManifest(first.dir), waitForManifest(second.dir)]);
    assert.equal(a.state, 'complete');
    assert.equal(b.state, 'complete');
    assert.deepEqual([a.frames.length, b.frames.length], [30, 30]);
    // However far apart the triggers landed, the second window is the first shifted by that many frames.
    const offset = b.frames[0]!.frame_id - a.frames[0]!.frame_id;
    assert.ok(offset > 0 && offset < 30, `second window starts ${offset} frames later`);
    const shared = a.frames.map((f) => f.frame_id).filter((id) => b.frames.some((g) => g.frame_id === id));
    assert.equal(shared.length, 30 - offset, `${shared.length} frames in both events`);
  });

  it('refuses triggers past max_pending_events with RESOURCE_EXHAUSTED, never queueing silently', async () => {
    const accepted = [];
    for (let i = 0; i < 3; i++) accepted.push(await camera.trigger({ beforeS: 0, afterS: 2, formats: ['jpg'] }));
    const refused = await grpcError(camera.trigger({ formats: ['jpg'] }));
    assert.equal(refused.code, grpc.status.RESOURCE_EXHAUSTED);
    assert.match(refused.details, /export\.max_pending_events/);
    const client = await LineClient.connect(service.linePort);
    assert.match(await client.command('SNAP'), /^ERR BUSY 3 events are being written/);
    client.destroy();
    await Promise.all(accepted.map((event) => waitForManifest(event.dir)));
  });

  it('an unwritable base_dir fails the trigger with FAILED_PRECONDITION; the service recovers when it is fixed', async () => {
    const blocker = path.join(service.dir, 'not-a-folder');
    await writeFile(blocker, 'a file where a folder should be');
    await camera.configure({ config: { export: { baseDir: path.join(blocker, 'events') } }, updateMask: { paths: ['export.base_dir'] } });
    const failed = await grpcError(camera.trigger({}));
    assert.equal(failed.code, grpc.status.FAILED_PRECONDITION);
    assert.match(failed.details, /not writable/);
    const client = await LineClient.connect(service.linePort);
    assert.match(await client.command('SNAP'), /^ERR UNAVAILABLE not writable/);
    client.destroy();
    const good = path.join(service.dir, 'events2');
    await camera.configure({ config: { export: { baseDir: good } }, updateMask: { paths: ['export.base_dir'] } });
    const event = await camera.trigger({ beforeS: 0.1, afterS: 0.1, wait: true, formats: ['jpg'] });
    assert.equal(event.state, EventState.COMPLETE);
    assert.ok(event.dir.startsWith(good));
  });

  it('keeps event ids ordered after a restart even when the wall clock went back', async () => {
    // An event from "the future" (as after a restart with a clock that lost time).
    const future = '20991231T235959000Z-abcdef';
    const base = path.join(service.dir, 'events2');
    await mkdir(path.join(base, '2099-12-31', future), { recursive: true });
    const restarted = await startService({ camera: { source: 'synthetic', width: 160, height: 120 }, export: { base_dir: base } });
    const client = createClient(CameraService, restarted.grpcAddress) as unknown as Camera;
    try {
      const event = await client.trigger({ beforeS: 0, afterS: 0 });
      assert.ok(event.eventId > future, `${event.eventId} sorts after ${future}`);
      assert.ok(Math.abs(timestampMs(event.triggerTime!) - Date.now()) < 60_000, 'the trigger time itself stays true');
    } finally {
      client.close();
      await restarted.stop();
    }
  });
});

describe('dark-frame stacking', () => {
  it('averages noisy dark frames into images brighter and less noisy than one frame', async () => {
    // A dim scene (2.5 ms day exposure: a quarter of the light) with sensor noise.
    const service = await startService({
      camera: { source: 'synthetic', width: 320, height: 240, framerate: 30, exposure_us: 2500, gain: 1 },
      night: { enable: false },
      export: { stack_dark_frames: false, stack_count: 4 },
    }, { clock: 'frames', frames: 20 });
    const camera = createClient(CameraService, service.grpcAddress) as unknown as Camera;
    try {
      const event = await camera.trigger({ beforeS: 0.5, afterS: 0.5, stack: true, formats: ['npy', 'png'], wait: true });
      const manifest = await readManifest(event.dir);
      assert.equal(manifest.frames.length, 30);
      // 30 frames make 7 stacks of 4; the 2 left over make none.
      assert.equal(manifest.stacks.length, 7, `${manifest.stacks.length} stacks`);
      assert.ok(manifest.stacks.every((s) => s.frame_ids.length === 4 && s.files.length === 2));
      const stackNpy = manifest.stacks.map((s) => path.join(event.dir, s.files.find((f) => f.endsWith('.npy'))!));
      const frameNpy = manifest.frames.map((f) => path.join(event.dir, f.files.find((g) => g.endsWith('.npy'))!));
      const [s1, s2] = await Promise.all(stackNpy.slice(0, 2).map(npyPixels));
      const [f1, f2] = await Promise.all(frameNpy.slice(0, 2).map(npyPixels));
      // The top rows: background only (the moving box stays in the middle band).
      const rows = 60;
      const rowBytes = 320 * 3;
      const single = { mean: mean(f1!.subarray(0, rows * rowBytes)), noise: noise(f1!, f2!, rows, rowBytes) };
      const stacked = { mean: mean(s1!.subarray(0, rows * rowBytes)), noise: noise(s1!, s2!, rows, rowBytes) };
      assert.ok(stacked.mean > single.mean * 2, `mean ${single.mean.toFixed(1)} -> ${stacked.mean.toFixed(1)}`);
      const snr = (x: { mean: number; noise: number }) => x.mean / x.noise;
      assert.ok(snr(stacked) > snr(single) * 1.5, `SNR ${snr(single).toFixed(1)} -> ${snr(stacked).toFixed(1)}`);
      const png = await sharp(path.join(event.dir, manifest.stacks[0]!.files.find((f) => f.endsWith('.png'))!)).metadata();
      assert.equal(png.width, 320);
    } finally {
      camera.close();
      assert.equal(await service.stop(), 0);
    }
  });
});

