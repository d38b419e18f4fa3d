import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { frameBytes } from '../../../src/core/frame.js';
import { loadConfig } from '../../../src/core/config/load-config.js';
import { checkRingFits, JPEG_BYTES_PER_PIXEL, jpegBytesPerPixel, packedRingSize, ringSize } from '../../../src/core/ring/ring-size.js';
import { ROOT } from '../../helpers/service.js';

/** A Zero 2 W on Raspberry Pi OS Lite (assumed, not measured here): ~420 MB for Linux, ~300 MB of it free once booted. */
const ZERO_2_W = { available: 300e6, rss: 50e6 };
const SLOT_720P = frameBytes({ width: 1280, height: 720, format: 'yuv420' });

describe('ring memory check', () => {
  it('counts the service and headroom, not only the ring: a 207 MB ring does not fit a Zero 2 W', async () => {
    const size = ringSize({ seconds: 5 }, 30, SLOT_720P);
    await assert.rejects(checkRingFits(size, SLOT_720P, ZERO_2_W), (error: Error) => {
      assert.equal(
        error.message,
        'ring.seconds: 5 s x 30 fps = 150 frames x 1.4 MB a frame = 207.4 MB ring + 190.0 MB service (Node, encoders, export and stream buffers) + 48.0 MB headroom = 445.4 MB, ' +
          'more than the 350.0 MB of memory available (300.0 MB free + 50.0 MB this process holds); lower the ring size, the frame rate or camera.width/height, or keep frames as camera.codec "yuv420" (half of rgb)',
      );
      return true;
    });
  });

  it('deploy/config.json fits the smallest Pi the README supports, a Zero 2 W', async () => {
    const { config } = await loadConfig(path.join(ROOT, 'deploy/config.json'), true);
    assert.equal(config.camera.source, 'auto');
    const slot = frameBytes({ width: config.camera.width, height: config.camera.height, format: 'yuv420' });
    const size = ringSize(config.ring, config.camera.framerate, slot);
    await checkRingFits(size, slot, ZERO_2_W);
    assert.ok(size.frames / config.camera.framerate >= config.export.save_before_s, 'the ring holds the pre-trigger window');
  });
});

describe('byte ring sized by seconds', () => {
  const PIXELS_1080P = 1920 * 1080;
  const SLOT_1080P = frameBytes({ width: 1920, height: 1080, format: 'mjpeg' });

  it('assumes bigger JPEGs for higher qualities, and the unknown-quality figure for sources we do not encode', () => {
    let last = 0;
    for (let q = 1; q <= 100; q++) {
      const bpp = jpegBytesPerPixel(q);
      assert.ok(bpp > last, `quality ${q}: ${bpp} bytes/pixel, not above quality ${q - 1}'s ${last}`);
      last = bpp;
    }
    assert.equal(jpegBytesPerPixel(undefined), JPEG_BYTES_PER_PIXEL);
    // The fake rpicam-vid's camera-like 1080p frames at its default quality 50 average 176 KB (BENCHMARKS.md, pre-roll).
    assert.ok(jpegBytesPerPixel(50) * PIXELS_1080P >= 176_000);
  });

  it('a minute of 1080p30 at rpicam-vid\'s default quality fits the 600 MB pre-roll budget with the service beside it', () => {
    const size = packedRingSize({ seconds: 60, compressed_seconds: 0, compressed_quality: 80 }, 30, SLOT_1080P, PIXELS_1080P, 'ring', jpegBytesPerPixel(50));
    // ~90 MB of service besides the ring was measured (BENCHMARKS.md, pre-roll: RSS = ring + ~90 MB).
    assert.ok(size.bytes + 90e6 <= 600e6, `${size.arithmetic}`);
    assert.ok(size.bytes >= 60 * 30 * 176_000, `${size.arithmetic}: less than a minute of 176 KB frames`);
    assert.match(size.arithmetic, /^1800 frames x ~\d+ bytes \(a JPEG at ~0\.093 bytes\/pixel\)/);
  });
});
