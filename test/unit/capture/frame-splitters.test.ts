import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import type { FrameSink } from '../../../src/core/capture/frame-source.js';
import { JpegFrameSplitter } from '../../../src/core/capture/jpeg-frame-splitter.js';
import { RawFrameSplitter } from '../../../src/core/capture/raw-frame-splitter.js';
import { RingBuffer } from '../../../src/core/ring/ring-buffer.js';

function ringSink(ring: RingBuffer, dropped: string[]): FrameSink {
  return { acquire: () => ring.acquire(), commit: () => undefined, dropped: (why) => dropped.push(why), error: () => undefined, log: () => undefined };
}

const fields = { timestampMs: 0, monotonicMs: 0, exposureUs: 1, gain: 1, darkScore: 0, night: false };

/** Feeds `stream` in chunks of `size` bytes. */
function feed(write: (chunk: Buffer) => void, stream: Buffer, size: number): void {
  for (let i = 0; i < stream.length; i += size) write(stream.subarray(i, i + size));
}

describe('RawFrameSplitter', () => {
  it('reassembles fixed-size frames across any chunking, straight into ring slots', () => {
    for (const chunk of [1, 7, 100, 1000]) {
      const ring = new RingBuffer(8, 12);
      const splitter = new RawFrameSplitter(12, ringSink(ring, []), () => ring.commit(12, fields));
      const stream = Buffer.concat([0, 1, 2, 3].map((v) => Buffer.alloc(12, v)));
      feed((c) => splitter.write(c), stream, chunk);
      assert.equal(ring.size, 4, `chunks of ${chunk}`);
      for (let id = 1; id <= 4; id++) assert.ok(ring.get(id)!.data.every((b) => b === id - 1));
    }
  });

  it('drops a half frame on reset (the tool restarted)', () => {
    const ring = new RingBuffer(4, 4);
    const splitter = new RawFrameSplitter(4, ringSink(ring, []), () => ring.commit(4, fields));
    splitter.write(Buffer.from([9, 9]));
    splitter.reset();
    splitter.write(Buffer.from([1, 1, 1, 1]));
    assert.deepEqual([...ring.get(1)!.data], [1, 1, 1, 1]);
  });
});

describe('JpegFrameSplitter', () => {
  // Real JPEGs from ffmpeg, one with an EXIF-like APP1 segment holding a thumbnail's SOI/EOI.
  const jpegs = execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=64x48:rate=10', '-frames:v', '3', '-c:v', 'mjpeg', '-f', 'mjpeg', 'pipe:1']);
  const frames: Buffer[] = [];
  for (let start = 0; start < jpegs.length; ) {
    const end = jpegs.indexOf(Buffer.from([0xff, 0xd9]), start) + 2;
    frames.push(jpegs.subarray(start, end));
    start = end;
  }

  it('splits an MJPEG stream into whole JPEGs across any chunking', () => {
    assert.equal(frames.length, 3);
    for (const chunk of [1, 3, 64, 4096]) {
      const ring = new RingBuffer(8, 64 * 48 * 2);
      const lengths: number[] = [];
      const splitter = new JpegFrameSplitter(64 * 48 * 2, ringSink(ring, []), (length) => {
        lengths.push(length);
        ring.commit(length, fields);
      });
      feed((c) => splitter.write(c), jpegs, chunk);
      assert.deepEqual(lengths, frames.map((f) => f.length), `chunks of ${chunk}`);
      for (let id = 1; id <= 3; id++) assert.ok(ring.get(id)!.data.equals(frames[id - 1]!));
    }
  });

  it('is not fooled by an embedded thumbnail, and skips garbage between frames', () => {
    const thumbnail = frames[0]!;
    const app1 = Buffer.alloc(4);
    app1.writeUInt16BE(0xffe1, 0);
    app1.writeUInt16BE(thumbnail.length + 2, 2);
    const withExif = Buffer.concat([frames[1]!.subarray(0, 2), app1, thumbnail, frames[1]!.subarray(2)]);
    const stream = Buffer.concat([Buffer.from('junk'), withExif, Buffer.from([0x00, 0xff]), frames[2]!]);
    const ring = new RingBuffer(4, 64 * 48 * 3);
    const lengths: number[] = [];
    const splitter = new JpegFrameSplitter(64 * 48 * 3, ringSink(ring, []), (length) => {
      lengths.push(length);
      ring.commit(length, fields);
    });
    feed((c) => splitter.write(c), stream, 5);
    assert.deepEqual(lengths, [withExif.length, frames[2]!.length]);
  });

  it('drops an oversized frame and carries on', () => {
    const dropped: string[] = [];
    const small = Math.max(...frames.map((f) => f.length)) - 1;
    const ring = new RingBuffer(4, small);
    const splitter = new JpegFrameSplitter(small, ringSink(ring, dropped), (length) => ring.commit(length, fields));
    splitter.write(jpegs);
    assert.ok(dropped.length >= 1);
    assert.equal(ring.size + dropped.length, 3);
  });
});
