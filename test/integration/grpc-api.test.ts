import assert from 'node:assert/strict';
import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import sharp from 'sharp';
import { timestampMs } from '@bufbuild/protobuf/wkt';
import { parseConfig } from '../../src/core/config/load-config.js';
import { HealthCheckResponse_ServingStatus, Health } from '../../src/gen/grpc/health/v1/health_pb.js';
import { CameraService, Encoding, EventState, PixelFormat } from '../../src/gen/picam/v1/camera_pb.js';
import { createClient, grpcError, type PromiseClient } from '../helpers/grpc-client.js';
import { leftoverTempFiles, numpyLoad, readManifest } from '../helpers/files.js';
import { startService, type Service } from '../helpers/service.js';

type Camera = PromiseClient<typeof CameraService extends { method: infer M } ? { [K in keyof M]: M[K] } : never>;


describe('gRPC API against the real service', () => {
  let service: Service;
  let camera: Camera;

  before(async () => {
    service = await startService({ export: { formats: ['jpg', 'png', 'npy'] } });
    camera = createClient(CameraService, service.grpcAddress);
    // Let the ring fill past the before-window.
    for (;;) {
      const status = await camera.getStatus({});
      if (Number(status.ring?.newestFrameId ?? 0n) > 30) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });

  after(async () => {
    camera.close();
    assert.equal(await service.stop(), 0, 'service exits 0 on SIGTERM');
  });

  it('reports SERVING on the standard health service', async () => {
    const health = createClient(Health, service.grpcAddress);
    try {
      const overall = await health.check({ service: '' });
      assert.equal(overall.status, HealthCheckResponse_ServingStatus.SERVING);
      const named = await health.check({ service: 'picam.v1.CameraService' });
      assert.equal(named.status, HealthCheckResponse_ServingStatus.SERVING);
    } finally {
      health.close();
    }
  });

  it('GetStatus tells the truth about the source and the ring', async () => {
    const status = await camera.getStatus({});
    assert.equal(status.source?.kind, 'synthetic');
    assert.equal(status.source?.running, true);
    assert.ok(Number(status.source?.framesCaptured) > 30);
    assert.ok((status.source?.framesPerSecond ?? 0) > 5);
    assert.equal(status.source?.width, 320);
    assert.equal(status.source?.pixelFormat, PixelFormat.RGB24);
    assert.equal(status.ring?.capacityFrames, 120);
    assert.equal(status.ring?.payloadBytes, BigInt(120 * 320 * 240 * 3));
    assert.equal(status.serving, true);
    assert.match(status.version, /^\d+\.\d+\.\d+/);
  });

  it('Trigger with wait saves frames from before and after in every format, manifest last', async () => {
    const response = await camera.trigger({ reason: 'integration', wait: true });
    assert.equal(response.state, EventState.COMPLETE);
    assert.ok(response.framesBefore >= 10, `frames before: ${response.framesBefore}`);
    assert.ok(response.dir.startsWith(path.join(service.dir, 'events')), 'relative base_dir resolves against the config folder');
    assert.ok(response.dir.endsWith(response.eventId));
    const triggerMs = timestampMs(response.triggerTime!);
    const manifest = await readManifest(response.dir);
    assert.equal(manifest.state, 'complete');
    assert.equal(manifest.event_id, response.eventId);
    assert.equal(manifest.trigger.source, 'grpc');
    assert.equal(manifest.trigger.reason, 'integration');
    assert.deepEqual(manifest.missing, []);
    const before = manifest.frames.filter((f) => f.capture_time_ms < triggerMs);
    const afterFrames = manifest.frames.filter((f) => f.capture_time_ms >= triggerMs);
    assert.ok(before.length >= 10 && afterFrames.length >= 10, `${before.length} before, ${afterFrames.length} after`);
    assert.ok(manifest.frames.every((f) => f.capture_time_ms >= triggerMs - 500 && f.capture_time_ms <= triggerMs + 500));
    const ids = manifest.frames.map((f) => f.frame_id);
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
    assert.equal(ids.at(-1)! - ids[0]! + 1, ids.length, 'no frame skipped');

    const first = manifest.frames[0]!;
    assert.deepEqual(first.files.map((f) => path.extname(f)).sort(), ['.jpg', '.npy', '.png']);
    const jpg = await sharp(path.join(response.dir, first.files.find((f) => f.endsWith('.jpg'))!)).metadata();
    assert.equal(jpg.format, 'jpeg');
    assert.equal(jpg.width, 320);
    assert.equal(jpg.height, 240);
    const pngFile = path.join(response.dir, first.files.find((f) => f.endsWith('.png'))!);
    const png = await sharp(pngFile).raw().toBuffer({ resolveWithObject: true });
    assert.equal(png.info.width, 320);
    const [npy] = await numpyLoad([path.join(response.dir, first.files.find((f) => f.endsWith('.npy'))!)]);
    assert.deepEqual(npy!.shape, [240, 320, 3]);
    assert.equal(npy!.dtype, 'uint8');
    assert.equal(npy!.sum, png.data.reduce((sum, v) => sum + v, 0), 'npy holds the same pixels as the lossless png');
    assert.deepEqual(await leftoverTempFiles(response.dir), []);
  });

  it('Trigger returns at once, and WatchEvents reports pending then complete', async () => {
    const watch = camera.watchEvents({});
    const seen: Array<{ id: string; state: EventState }> = [];
    const watching = (async () => {
      for await (const message of watch.stream) {
        if (message.kind.case === 'eventProgress') {
          seen.push({ id: message.kind.value.eventId, state: message.kind.value.state });
          if (message.kind.value.state !== EventState.PENDING) return;
        }
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 200)); // the watch call reaches the server
    const response = await camera.trigger({ beforeS: 0.2, afterS: 0.3, formats: ['jpg'], reason: 'watched' });
    assert.equal(response.state, EventState.PENDING);
    const pending = await camera.getEvent({ eventId: response.eventId });
    assert.equal(pending.event?.state, EventState.PENDING);
    assert.deepEqual([pending.event?.triggerSource, pending.event?.reason], ['grpc', 'watched'], 'a pending event says who triggered it');
    await watching;
    watch.cancel();
    assert.deepEqual(seen, [
      { id: response.eventId, state: EventState.PENDING },
      { id: response.eventId, state: EventState.COMPLETE },
    ]);
    const manifest = await readManifest(response.dir);
    assert.deepEqual(manifest.formats, ['jpg']);
  });

  it('rejects bad Trigger arguments with INVALID_ARGUMENT naming the field', async () => {
    const negative = await grpcError(camera.trigger({ beforeS: -1 }));
    assert.equal(negative.code, grpc.status.INVALID_ARGUMENT);
    assert.equal(negative.details, 'before_s: expected number >= 0, received -1');
    const format = await grpcError(camera.trigger({ formats: ['gif'] }));
    assert.equal(format.code, grpc.status.INVALID_ARGUMENT);
    assert.match(format.details, /^formats\.0: expected one of "jpg" \| "png" \| "npy" \| "mp4", received "gif"$/);
  });

  it('ListEvents, GetEvent and DeleteEvent work on the event folders', async () => {
    const made = await camera.trigger({ beforeS: 0.1, afterS: 0.1, wait: true, formats: ['jpg'] });
    const page = await camera.listEvents({ pageSize: 1 });
    assert.equal(page.events.length, 1);
    assert.equal(page.events[0]!.eventId, made.eventId, 'newest first');
    assert.equal(page.events[0]!.state, EventState.COMPLETE);
    assert.notEqual(page.nextPageToken, '');
    const next = await camera.listEvents({ pageSize: 100, pageToken: page.nextPageToken });
    assert.ok(next.events.length >= 2);
    assert.ok(next.events.every((e) => e.eventId < made.eventId));

    const detail = await camera.getEvent({ eventId: made.eventId });
    const manifest = await readManifest(made.dir);
    assert.equal(detail.frames.length, manifest.frames.length);
    assert.equal(detail.event?.frameCount, manifest.frames.length);
    assert.ok(Number(detail.event?.bytes) > 0);

    const deleted = await camera.deleteEvent({ eventId: made.eventId });
    assert.ok(deleted.bytesFreed > 0n);
    await assert.rejects(access(made.dir));
    assert.equal((await grpcError(camera.getEvent({ eventId: made.eventId }))).code, grpc.status.NOT_FOUND);
    const bad = await grpcError(camera.getEvent({ eventId: '../../etc' }));
    assert.equal(bad.code, grpc.status.INVALID_ARGUMENT);
    assert.match(bad.details, /^event_id: expected an event id/);
  });

  it('GetNightState answers from the night controller', async () => {
    const night = await camera.getNightState({});
    assert.equal(night.night, false);
    assert.equal(night.enabled, true);
    assert.equal(night.darkThreshold, 40);
    assert.equal(night.brightThreshold, 60);
    assert.ok(night.darkScore > 40, `daylight synthetic scene: ${night.darkScore}`);
    assert.equal(night.exposureUs, 10000);
    assert.equal(night.mode, 'slow_video');
  });

  it('Configure validates, applies at run time, refuses restart-only fields, and persists', async () => {
    const dry = await camera.configure({ config: { night: { darkThreshold: 30 } }, updateMask: { paths: ['night.dark_threshold'] }, validateOnly: true });
    assert.equal(dry.config?.night?.darkThreshold, 30);
    assert.equal((await camera.getNightState({})).darkThreshold, 40, 'validate_only changes nothing');

    const applied = await camera.configure({ config: { night: { darkThreshold: 30 } }, updateMask: { paths: ['night.dark_threshold'] } });
    assert.deepEqual(applied.appliedPaths, ['night.dark_threshold']);
    assert.equal((await camera.getNightState({})).darkThreshold, 30);

    const invalid = await grpcError(camera.configure({ config: { night: { minDarkFrames: 0 } }, updateMask: { paths: ['night.min_dark_frames'] } }));
    assert.equal(invalid.code, grpc.status.INVALID_ARGUMENT);
    assert.equal(invalid.details, 'night.min_dark_frames: expected integer >= 1, received 0');

    const unknown = await grpcError(camera.configure({ updateMask: { paths: ['night.nope'] } }));
    assert.equal(unknown.code, grpc.status.INVALID_ARGUMENT);

    const fixed = await grpcError(camera.configure({ config: { camera: { width: 640 } } }));
    assert.equal(fixed.code, grpc.status.FAILED_PRECONDITION);
    assert.match(fixed.details, /^camera\.width: only a restart/);

    const before = await readFile(service.configFile, 'utf8');
    const persisted = await camera.configure({ config: { export: { saveAfterS: 0.4 } }, persist: true });
    assert.equal(persisted.persisted, true);
    const written = JSON.parse(await readFile(service.configFile, 'utf8')) as Record<string, Record<string, unknown>>;
    const onDisk = parseConfig(written);
    assert.equal(onDisk.export.save_after_s, 0.4);
    assert.equal(written.night, undefined, 'only the persisted path is written; the rest of the file stays as it was');
    assert.equal(await readFile(`${service.configFile}.bak`, 'utf8'), before, 'the previous version is kept');
    assert.deepEqual(await leftoverTempFiles(service.dir).then((files) => files.filter((f) => !f.includes('events'))), []);
  });

  it('StreamFrames delivers metadata-only, JPEG and raw frames at max_fps', async () => {
    const meta = camera.streamFrames({ encoding: Encoding.METADATA_ONLY, maxFps: 5 });
    const frames = [];
    for await (const message of meta.stream) {
      frames.push(message);
      if (frames.length === 3) break;
    }
    meta.cancel();
    assert.ok(frames.every((m) => m.frame?.data.length === 0 && m.frame.width === 320));
    assert.ok(frames[1]!.frame!.frameId > frames[0]!.frame!.frameId);
    assert.ok(frames.slice(1).every((m) => m.dropped >= 2), `30 fps thinned to 5: ${frames.map((m) => m.dropped).join(',')}`);

    const jpeg = camera.streamFrames({ encoding: Encoding.JPEG, quality: 70 });
    let got = 0;
    for await (const message of jpeg.stream) {
      const info = await sharp(message.frame!.data).metadata();
      assert.equal(info.format, 'jpeg');
      assert.equal(info.width, 320);
      assert.equal(message.frame!.encoding, Encoding.JPEG);
      if (++got === 2) break;
    }
    jpeg.cancel();

    const raw = camera.streamFrames({ encoding: Encoding.RAW, pixelFormat: PixelFormat.RGB24 });
    for await (const message of raw.stream) {
      assert.equal(message.frame!.pixelFormat, PixelFormat.RGB24);
      assert.equal(message.frame!.data.length, 320 * 240 * 3);
      break;
    }
    raw.cancel();
    const grey = camera.streamFrames({ encoding: Encoding.RAW, pixelFormat: PixelFormat.GRAY8, width: 160 });
    for await (const message of grey.stream) {
      assert.equal(message.frame!.pixelFormat, PixelFormat.GRAY8);
      assert.deepEqual([message.frame!.width, message.frame!.height], [160, 120], 'height follows width, keeping the aspect');
      assert.equal(message.frame!.data.length, 160 * 120);
      break;
    }
    grey.cancel();

    const bad = camera.streamFrames({ encoding: Encoding.JPEG, quality: 101 });
    const error = await grpcError((async () => {
      for await (const message of bad.stream) assert.fail(`no frame expected, got ${String(message.frame?.frameId)}`);
    })());
    assert.equal(error.code, grpc.status.INVALID_ARGUMENT);
    assert.equal(error.details, 'quality: expected integer <= 100, received 101');
  });
});
