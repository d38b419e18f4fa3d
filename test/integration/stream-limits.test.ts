import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import sharp from 'sharp';
import { Encoding, PixelFormat } from '../../src/gen/picam/v1/camera_pb.js';
import { cameraClient, grpcError, type CameraClient } from '../helpers/grpc-client.js';
import { metrics, MjpegReader, sample } from '../helpers/http.js';
import { startService, type Service } from '../helpers/service.js';

/** The first message of a stream, or the error it ends with. */
async function firstOrError(camera: CameraClient, request: Parameters<CameraClient['streamFrames']>[0]): Promise<unknown> {
  const call = camera.streamFrames(request);
  try {
    for await (const message of call.stream) return message;
    return undefined;
  } finally {
    call.cancel();
  }
}

describe('StreamFrames and /live.mjpg never upscale, and bound what a viewer can make the service encode', () => {
  let service: Service;
  let camera: CameraClient;

  before(async () => {
    service = await startService({ camera: { source: 'synthetic', width: 640, height: 480, framerate: 30 }, ring: { frames: 30 } }, { frames: 10 });
    camera = cameraClient(service.grpcAddress);
  });

  after(async () => {
    camera.close();
    assert.equal(await service.stop(), 0);
  });

  it('RAW at 8192x8192 is refused with INVALID_ARGUMENT naming the field, before anything is allocated', async (t) => {
    const rss = async (): Promise<number> => sample(await metrics(service.httpUrl), 'process_resident_memory_bytes');
    const before = await rss();
    for (let i = 0; i < 3; i++) {
      const error = await grpcError(firstOrError(camera, { encoding: Encoding.RAW, width: 8192, height: 8192 }));
      assert.equal(error.code, grpc.status.INVALID_ARGUMENT, error.details);
      assert.equal(error.details, "width: expected integer <= 640 (the camera's width; frames are never upscaled), received 8192");
      assert.equal(error.metadata.get('picam-field')[0], 'width');
    }
    const grown = (await rss()) - before;
    t.diagnostic(`3 StreamFrames calls at RAW 8192x8192: service RSS ${(before / 1e6).toFixed(1)} MB -> ${((before + grown) / 1e6).toFixed(1)} MB`);
    assert.ok(grown < 50e6, `RSS grew by ${(grown / 1e6).toFixed(1)} MB`);
  });

  it('one side alone may not upscale the other either; the camera size itself is fine', async () => {
    const height = await grpcError(firstOrError(camera, { encoding: Encoding.JPEG, height: 960 }));
    assert.equal(height.code, grpc.status.INVALID_ARGUMENT);
    assert.match(height.details, /^height: expected integer <= 480/);
    const wide = await grpcError(firstOrError(camera, { encoding: Encoding.RAW, pixelFormat: PixelFormat.GRAY8, width: 641 }));
    assert.match(wide.details, /^width: expected integer <= 640/);
    const full = (await firstOrError(camera, { encoding: Encoding.RAW, width: 640, height: 480 })) as { frame: { width: number; height: number; data: Uint8Array } };
    assert.equal(full.frame.data.byteLength, 640 * 480 * 3);
  });

  it('/live.mjpg caps the width at the camera and serves at most four distinct pictures at once', async () => {
    const huge = await MjpegReader.open(`${service.httpUrl}/live.mjpg?max_fps=5&width=5000`);
    const readers = [huge];
    try {
      assert.equal(huge.status, 200);
      await huge.waitForParts(1);
      const meta = await sharp(huge.parts[0]!.jpeg).metadata();
      assert.deepEqual([meta.width, meta.height], [640, 480]);
      // Five different qualities would be five encodes per frame: the fifth viewer shares the nearest one in use.
      for (const quality of [10, 20, 30, 40]) readers.push(await MjpegReader.open(`${service.httpUrl}/live.mjpg?max_fps=5&width=160&quality=${quality}`));
      // huge (640w, default quality) plus q10, q20, q30 are four distinct pictures; q40 is a fifth.
      assert.equal(huge.headers['x-picam-live'], '640w q80');
      assert.deepEqual(readers.slice(1).map((r) => r.headers['x-picam-live']), ['160w q10', '160w q20', '160w q30', '160w q10']);
      const near = await MjpegReader.open(`${service.httpUrl}/live.mjpg?max_fps=5&width=600&quality=50`);
      readers.push(near);
      assert.equal(near.headers['x-picam-live'], '640w q80', 'the nearest width in use');
      await near.waitForParts(1);
      assert.equal((await sharp(near.parts[0]!.jpeg).metadata()).width, 640);
      // Once viewers leave, their pictures free up.
      readers.slice(1).forEach((r) => r.close());
      for (let i = 0; i < 100 && sample(await metrics(service.httpUrl), 'picam_live_viewers') > 2; i++) await new Promise((resolve) => setTimeout(resolve, 100));
      const later = await MjpegReader.open(`${service.httpUrl}/live.mjpg?max_fps=5&width=320&quality=60`);
      readers.push(later);
      assert.equal(later.headers['x-picam-live'], '320w q60');
    } finally {
      readers.forEach((r) => r.close());
    }
  });
});
