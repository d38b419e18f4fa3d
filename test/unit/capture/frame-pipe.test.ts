import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { openFramePipe } from '../../../src/core/capture/frame-pipe.js';
import type { FrameSink } from '../../../src/core/capture/frame-source.js';
import { RawFrameSplitter } from '../../../src/core/capture/raw-frame-splitter.js';
import { RingBuffer } from '../../../src/core/ring/ring-buffer.js';

const fields = { timestampMs: 0, monotonicMs: 0, exposureUs: 1, gain: 1, darkScore: 0, night: false };

function ringSink(ring: RingBuffer): FrameSink {
  return { acquire: () => ring.acquire(), commit: () => undefined, dropped: () => undefined, error: () => undefined, log: () => undefined };
}

/** Byte i of frame f: differs between neighbouring bytes and between frames. */
const byteOf = (f: number, i: number): number => (f * 31 + i * 7) & 0xff;

/**
 * A child that writes `frames` frames of `frameBytes` to its stdout in writes
 * of 1, 2, 3, ... bytes (cycling up to `maxWrite`), each its own write(2), so
 * frame boundaries fall at every offset of a write; then `tail` bytes of a
 * frame it never finishes.
 */
const WRITER = `
const fs = require('node:fs');
const [frames, frameBytes, maxWrite, tail] = process.argv.slice(1).map(Number);
const all = Buffer.alloc(frames * frameBytes + tail);
for (let f = 0; f <= frames; f++) for (let i = 0; i < frameBytes && f * frameBytes + i < all.length; i++) all[f * frameBytes + i] = (f * 31 + i * 7) & 0xff;
for (let at = 0, size = 1; at < all.length; at += size, size = size % maxWrite + 1) {
  const piece = all.subarray(at, Math.min(all.length, at + size));
  for (let done = 0; done < piece.length; ) done += fs.writeSync(1, piece, done);
}`;

describe('frame pipe', () => {
  it('reads a real child stdout straight into ring slots: whole frames, split at every boundary, a torn last frame never delivered', async () => {
    const frameBytes = 61;
    const frames = 40;
    const ring = new RingBuffer(frames + 1, frameBytes);
    const splitter = new RawFrameSplitter(frameBytes, ringSink(ring), () => ring.commit(frameBytes, fields));
    const pipe = await openFramePipe(splitter);
    const child = spawn(process.execPath, ['-e', WRITER, String(frames), String(frameBytes), String(frameBytes + 2), '25'], { stdio: ['ignore', pipe.childEnd, 'inherit'] });
    pipe.handedOver();
    // EOF once the child's copy is gone: no other writer holds the pipe. Either may come first.
    const [[code]] = (await Promise.all([once(child, 'exit'), once(pipe.socket, 'close')])) as [[number], unknown];
    assert.equal(code, 0);
    assert.equal(ring.size, frames, 'the 25 bytes of the unfinished frame are not a frame');
    for (let id = 1; id <= frames; id++) {
      const data = ring.get(id)!.data;
      for (let i = 0; i < frameBytes; i++) assert.equal(data[i], byteOf(id - 1, i), `frame ${id} byte ${i}`);
    }
  });

  it('a read that ends at any offset of a frame continues there (the splitter as the pipe drives it)', () => {
    const frameBytes = 17;
    const stream = Buffer.from(Array.from({ length: 3 * frameBytes }, (_, i) => byteOf(Math.floor(i / frameBytes), i % frameBytes)));
    for (let first = 1; first < stream.length; first++) {
      const ring = new RingBuffer(4, frameBytes);
      const splitter = new RawFrameSplitter(frameBytes, ringSink(ring), () => ring.commit(frameBytes, fields));
      // Two reads: `first` bytes, then the rest; each fills at most what target() offers, as read(2) does.
      for (const read of [stream.subarray(0, first), stream.subarray(first)]) {
        for (let at = 0; at < read.length; ) {
          const n = read.copy(splitter.target(), 0, at);
          at += n;
          splitter.written(n);
        }
      }
      assert.equal(ring.size, 3, `split at ${first}`);
      for (let id = 1; id <= 3; id++) assert.deepEqual(ring.get(id)!.data, stream.subarray((id - 1) * frameBytes, id * frameBytes), `split at ${first}, frame ${id}`);
    }
  });
});
