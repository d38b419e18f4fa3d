import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { untilStatus } from '../helpers/camera.js';
import { waitForManifest } from '../helpers/files.js';
import { cameraClient, grpcError } from '../helpers/grpc-client.js';
import { FIXTURES, startService } from '../helpers/service.js';
import { LineClient } from '../helpers/sockets.js';

const FAKE_BIN = path.join(FIXTURES, 'bin');

describe('an export slower than the ring keeps every frame of its window (#18 goal 1)', () => {
  it('I420 from the fake rpicam-vid, png level 9 + npy + jpg through a 3-frame ring: every frame kept, none missing', async () => {
    // 720p I420 (1.38 MB a frame), a ring of 3 frames (0.1 s): three formats with PNG at level 9 take far longer
    // than 0.1 s per frame, so the ring laps the export many times over within the window.
    const service = await startService(
      {
        camera: { source: 'rpicam', codec: 'yuv420', width: 1280, height: 720, framerate: 30 },
        ring: { frames: 3 },
        export: { formats: ['png', 'npy', 'jpg'], png_compression: 9, max_buffer_bytes: 200_000_000 },
      },
      { pathPrepend: [FAKE_BIN] },
    );
    const camera = cameraClient(service.grpcAddress);
    try {
      // Hang guard: the fake camera's first frames.
      await untilStatus(camera, (s) => Number(s.ring?.newestFrameId ?? 0) >= 10, 30_000);
      const reply = await camera.trigger({ beforeS: 0, afterS: 1, reason: 'loaded', wait: true });
      const manifest = await waitForManifest(reply.dir, 120_000);
      assert.deepEqual(manifest.missing, [], 'no frame of the window is missing');
      assert.equal(manifest.state, 'complete');
      const ids = manifest.frames.map((f) => f.frame_id);
      assert.ok(ids.length >= 15, `${ids.length} frames in a 1 s window at 30 fps`);
      assert.equal(ids.at(-1)! - ids[0]! + 1, ids.length, 'frames kept = every frame of the window, consecutive');
      assert.ok(manifest.frames.every((f) => f.files.length === 3 && f.tier === 'raw'));
      assert.equal(manifest.capture?.format, 'yuv420');
      // The export did fall behind the ring: frames were copied out of it before they were overwritten.
      const behind = await service.waitForLog((l) => l.msg.startsWith('export fell behind the ring') && l.event_id === reply.eventId);
      assert.ok(Number(behind.frames_copied) > 0);
      assert.ok(Number(behind.peak_bytes) <= Number(behind.reserved_bytes), 'the copies stayed within the reservation');
    } finally {
      camera.close();
      assert.equal(await service.stop(), 0);
    }
  });

  it('a window that cannot fit export.max_buffer_bytes is refused at trigger time with the arithmetic', async () => {
    // 320x240 rgb24 frames are 230400 bytes; 10 MB holds 43 of them.
    const service = await startService({ ring: { frames: 30 }, export: { max_buffer_bytes: 10_000_000, formats: ['jpg'] } });
    const camera = cameraClient(service.grpcAddress);
    const line = await LineClient.connect(service.linePort);
    try {
      const tooLong = await grpcError(camera.trigger({ beforeS: 0, afterS: 2 }));
      assert.equal(tooLong.code, grpc.status.INVALID_ARGUMENT);
      assert.equal(tooLong.metadata.get('picam-field')[0], 'after_s');
      assert.equal(
        tooLong.details,
        'after_s: expected a window whose frames fit export.max_buffer_bytes (10.0 MB, as configured), received 0 + 2 s: ' +
          '0 frames in the ring (0.0 MB) + 2 s x 30 fps = 60 frames x 230400 bytes (13.8 MB) = 13.8 MB; shorten the window or raise export.max_buffer_bytes',
      );
      assert.match(await line.command('SNAP before=0 after=2'), /^ERR BAD_ARGUMENT after_s: expected a window whose frames fit export\.max_buffer_bytes/);
      // Nothing was started for the refused windows.
      assert.equal((await camera.getStatus({})).eventsPending, 0);

      // 1 s (30 frames, 6.9 MB) fits alone, but not beside another pending one.
      const first = await camera.trigger({ beforeS: 0, afterS: 1 });
      const busy = await grpcError(camera.trigger({ beforeS: 0, afterS: 1 }));
      assert.equal(busy.code, grpc.status.RESOURCE_EXHAUSTED);
      assert.equal(busy.metadata.get('picam-field')[0], 'export.max_buffer_bytes');
      assert.equal(
        busy.details,
        'export.max_buffer_bytes: 0 frames in the ring (0.0 MB) + 1 s x 30 fps = 30 frames x 230400 bytes (6.9 MB) = 6.9 MB does not fit beside ' +
          'the 6.9 MB reserved by 1 events being written (6.9 MB + 6.9 MB > 10.0 MB, as configured); try again when they finish',
      );
      const manifest = await waitForManifest(first.dir);
      assert.deepEqual(manifest.missing, []);
      // Once it is written its reservation is back: the same window is accepted.
      const again = await camera.trigger({ beforeS: 0, afterS: 0.2, wait: true });
      assert.equal((await waitForManifest(again.dir)).state, 'complete');
    } finally {
      line.destroy();
      camera.close();
      assert.equal(await service.stop(), 0);
    }
  });
});
