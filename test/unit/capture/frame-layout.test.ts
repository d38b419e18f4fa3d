import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { i420Layout, unpadI420 } from '../../../src/core/capture/frame-layout.js';
import { rowAlignment } from '../../../src/core/capture/pi-model.js';
import { RawFrameSplitter } from '../../../src/core/capture/raw-frame-splitter.js';
import { RingBuffer } from '../../../src/core/ring/ring-buffer.js';
import { i420ToRgb } from '../../../src/core/pixels/i420-to-rgb.js';

const PAD = 0xaa;

/** A wire frame as the Pi's ISP lays it out: each plane's rows padded with PAD bytes. */
function paddedFrame(width: number, height: number, align: number, value: (plane: number, x: number, y: number) => number): Buffer {
  const layout = i420Layout(width, height, align);
  const wire = Buffer.alloc(layout.wireBytes, PAD);
  const planes = [
    { w: width, h: height, stride: layout.yStride, base: 0 },
    { w: width / 2, h: height / 2, stride: layout.uvStride, base: layout.yStride * height },
    { w: width / 2, h: height / 2, stride: layout.uvStride, base: layout.yStride * height + layout.uvStride * (height / 2) },
  ];
  planes.forEach((p, plane) => {
    for (let y = 0; y < p.h; y++) for (let x = 0; x < p.w; x++) wire[p.base + y * p.stride + x] = value(plane, x, y);
  });
  return wire;
}

describe('I420 row stride', () => {
  it('is ALIGN(width, 64) on a Pi 4, ALIGN(width, 128) on a Pi 5, U/V at half (rpicam-apps #188: 780 -> 832)', () => {
    assert.deepEqual(
      [i420Layout(780, 2, 64).yStride, i420Layout(800, 600, 64).yStride, i420Layout(320, 240, 128).yStride, i420Layout(2028, 1520, 128).yStride],
      [832, 832, 384, 2048],
    );
    const pi5 = i420Layout(320, 240, 128);
    assert.equal(pi5.uvStride, 192);
    assert.equal(pi5.wireBytes, 384 * 240 * 1.5);
    assert.equal(pi5.packedBytes, 320 * 240 * 1.5);
    assert.equal(i420Layout(1280, 720, 128).wireBytes, i420Layout(1280, 720, 128).packedBytes, '1280 needs no padding');
  });

  it('follows the board named in the device tree, or PICAM_ROW_ALIGN', () => {
    assert.equal(rowAlignment('Raspberry Pi 5 Model B Rev 1.0', 0).align, 128);
    assert.equal(rowAlignment('Raspberry Pi Compute Module 5 Rev 1.0', 0).align, 128);
    assert.equal(rowAlignment('Raspberry Pi 4 Model B Rev 1.5', 0).align, 64);
    assert.equal(rowAlignment('Raspberry Pi Zero 2 W Rev 1.0', 0).align, 64);
    assert.match(rowAlignment(undefined, 0).reason, /unknown/);
    assert.equal(rowAlignment('Raspberry Pi 5 Model B Rev 1.0', 64).align, 64);
  });

  it('unpadding keeps every picture byte and none of the padding, across any pipe chunking', () => {
    for (const [width, height, align] of [[320, 240, 128], [800, 600, 64], [780, 4, 64], [64, 2, 64]] as const) {
      const value = (plane: number, x: number, y: number): number => (plane * 50 + x * 3 + y * 7) % 160;
      const wire = paddedFrame(width, height, align, value);
      const layout = i420Layout(width, height, align);
      const ring = new RingBuffer(4, layout.packedBytes);
      const sink = { acquire: () => ring.acquire(), commit: () => undefined, dropped: () => undefined, error: () => undefined, log: () => undefined };
      const splitter = new RawFrameSplitter(layout.packedBytes, sink, () => ring.commit(layout.packedBytes, { timestampMs: 0, monotonicMs: 0, exposureUs: 1, gain: 1, darkScore: 0, night: false }), layout);
      const stream = Buffer.concat([wire, wire]);
      for (let i = 0; i < stream.length; i += 4093) splitter.write(stream.subarray(i, i + 4093));
      assert.equal(ring.size, 2, `${width}x${height}/${align}`);
      const frame = ring.get(2)!.data;
      assert.ok(!frame.includes(PAD), 'no padding byte in the kept frame');
      const cw = width / 2;
      assert.equal(frame[0], value(0, 0, 0));
      assert.equal(frame[(height - 1) * width + width - 1], value(0, width - 1, height - 1), 'last Y pixel');
      assert.equal(frame[width * height + (height / 2 - 1) * cw + cw - 1], value(1, cw - 1, height / 2 - 1), 'last U pixel');
      assert.equal(frame[width * height * 1.25 + (height / 2 - 1) * cw + cw - 1], value(2, cw - 1, height / 2 - 1), 'last V pixel');
      const direct = Buffer.alloc(layout.packedBytes);
      unpadI420(wire, layout, direct);
      assert.deepEqual(direct, Buffer.from(frame));
    }
  });
});

describe('I420 to RGB', () => {
  const grey = (luma: number): Uint8Array => Uint8Array.from([luma, luma, luma, luma, 128, 128]);
  it('full range (sYCC, rpicam-vid) keeps levels: 16 stays 16, 235 stays 235', () => {
    for (const luma of [0, 16, 128, 235, 255]) {
      const out = new Uint8Array(12);
      i420ToRgb(grey(luma), 2, 2, out, 'full');
      assert.deepEqual([...out.subarray(0, 3)], [luma, luma, luma]);
    }
  });

  it('limited range stretches 16-235 to 0-255', () => {
    const out = new Uint8Array(12);
    i420ToRgb(grey(16), 2, 2, out, 'limited');
    assert.deepEqual([...out.subarray(0, 3)], [0, 0, 0]);
    i420ToRgb(grey(235), 2, 2, out, 'limited');
    assert.deepEqual([...out.subarray(0, 3)], [255, 255, 255]);
  });

  it('full-range chroma: pure red of a JPEG (Y 76, U 85, V 255) comes back red', () => {
    const out = new Uint8Array(12);
    i420ToRgb(Uint8Array.from([76, 76, 76, 76, 85, 255]), 2, 2, out, 'full');
    const [r, g, b] = out;
    assert.ok(r! >= 253 && g! <= 2 && b! <= 2, `got ${r},${g},${b}`);
  });
});

describe('V4L2 capture device search', () => {
  it('takes a UVC camera\'s picture node and skips the Pi\'s codec nodes before it', async () => {
    const { mkdtemp, mkdir, writeFile, symlink, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const { findCaptureDevice } = await import('../../../src/core/capture/capture-devices.js');
    const root = await mkdtemp(path.join(tmpdir(), 'picam-devs-'));
    try {
      await mkdir(path.join(root, 'dev'));
      for (const [n, name, driver] of [[10, 'bcm2835-codec-decode', 'bcm2835-codec'], [2, 'HD Pro Webcam C920', 'uvcvideo']] as const) {
        await writeFile(path.join(root, 'dev', `video${n}`), '');
        const node = path.join(root, 'sys/class/video4linux', `video${n}`);
        await mkdir(path.join(node, 'device'), { recursive: true });
        await writeFile(path.join(node, 'name'), name);
        await symlink(`/sys/bus/usb/drivers/${driver}`, path.join(node, 'device/driver'));
      }
      const found = await findCaptureDevice('/dev/video10', { dev: path.join(root, 'dev'), sys: path.join(root, 'sys') });
      assert.equal(found.chosen?.path, path.join(root, 'dev/video2'));
      assert.equal(found.chosen?.name, 'HD Pro Webcam C920');
      assert.match(found.verdicts[0]!, /video10 \(bcm2835-codec-decode, driver bcm2835-codec\): skipped, Pi video codec/);
      assert.match(found.verdicts[1]!, /video2 .*: taken/);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
