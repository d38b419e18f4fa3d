import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RingBuffer } from '../../../src/core/ring/ring-buffer.js';

const meta = (t: number) => ({ timestampMs: t, monotonicMs: t, darkScore: 10, night: false, exposureUs: 1000, gain: 1 });

/** Frame `id` is `size(id)` bytes, every byte equal to id & 0xff, so a torn or moved frame shows. */
function frameOf(id: number, size: number): Buffer {
  return Buffer.alloc(size, id & 0xff);
}

function assertIntact(ring: RingBuffer, size: (id: number) => number): void {
  for (let id = ring.oldestId; id <= ring.newestId; id++) {
    const frame = ring.get(id);
    assert.ok(frame, `frame ${id} held`);
    assert.equal(frame.data.length, size(id), `frame ${id} length`);
    assert.ok(frame.data.every((b) => b === (id & 0xff)), `frame ${id} intact`);
  }
}

describe('RingBuffer packed (byte ring for JPEG frames)', () => {
  it('holds frames by bytes: ten times more small frames than large ones', () => {
    const ring = new RingBuffer(1000, 100, 1000);
    for (let i = 1; i <= 50; i++) ring.push(frameOf(i, 10), meta(i));
    // 1000 bytes, less the 100 a writer is handed at the head: 90 frames of 10 bytes fit, we pushed 50.
    assert.equal(ring.size, 50);
    for (let i = 51; i <= 60; i++) ring.push(frameOf(i, 100), meta(i));
    assert.ok(ring.size < 20, `large frames evict small ones by bytes (held ${ring.size})`);
    assert.ok(ring.bytesHeld <= ring.payloadBytes);
    assertIntact(ring, (id) => (id <= 50 ? 10 : 100));
  });

  it('evicts the oldest frames by bytes, never a newer one, across many wraps', () => {
    const size = (id: number): number => 5 + ((id * 37) % 96); // 5..100 bytes, 20x apart
    const ring = new RingBuffer(10000, 100, 1500);
    for (let i = 1; i <= 5000; i++) {
      ring.push(frameOf(i, size(i)), meta(i));
      assert.equal(ring.newestId, i);
      assert.ok(ring.bytesHeld + 100 <= ring.payloadBytes + 100, 'bytes held never exceed the region');
      if (i % 97 === 0) assertIntact(ring, size);
    }
    assertIntact(ring, size);
    assert.ok(ring.size > 15, `a full region's worth of frames stays (held ${ring.size})`);
  });

  it('evicts before the writer gets the space: the frame under the head is gone at acquire, not at commit', () => {
    const ring = new RingBuffer(100, 100, 300);
    for (let i = 1; i <= 3; i++) ring.push(frameOf(i, 100), meta(i));
    const before = ring.oldestId;
    const target = ring.acquire();
    // Whatever the writer may overwrite has already left the ring.
    for (let id = ring.oldestId; id <= ring.newestId; id++) {
      const data = ring.get(id)!.data;
      const overlaps = data.byteOffset < target.byteOffset + target.length && target.byteOffset < data.byteOffset + data.length;
      assert.equal(data.buffer === target.buffer && overlaps, false, `frame ${id} does not overlap the writer's span`);
    }
    assert.ok(ring.oldestId > before);
    target.fill(4);
    ring.commit(50, meta(4));
    assertIntact(ring, (id) => (id === 4 ? 50 : 100));
  });

  it('a lapped reader finds its frame gone (undefined), never torn bytes', () => {
    const ring = new RingBuffer(100, 64, 640);
    ring.push(frameOf(1, 64), meta(1));
    const reader = 1;
    for (let i = 2; i <= 30; i++) ring.push(frameOf(i, 8 + (i % 7) * 8), meta(i));
    assert.equal(ring.get(reader), undefined);
    assert.equal(ring.copyOut(reader, Buffer.alloc(64)), undefined);
    assert.ok(ring.oldestId > reader);
  });

  it('caps frames at its metadata capacity', () => {
    const ring = new RingBuffer(4, 10, 1000);
    for (let i = 1; i <= 10; i++) ring.push(frameOf(i, 1), meta(i));
    assert.equal(ring.size, 4);
    assert.equal(ring.oldestId, 7);
    assertIntact(ring, () => 1);
  });

  it('tryAcquire refuses to evict a pinned frame and evicts nothing', () => {
    const ring = new RingBuffer(100, 100, 300);
    for (let i = 1; i <= 3; i++) ring.push(frameOf(i, 100), meta(i));
    assert.equal(ring.tryAcquire(1), undefined);
    assert.equal(ring.oldestId, 1, 'nothing evicted');
    ring.tryAcquire(2)?.fill(4);
    assert.equal(ring.oldestId, 2, 'frame 1 may go when only frame 2 on is pinned');
    ring.commit(100, meta(4));
    assert.equal(ring.oldestId, 2);
    assertIntact(ring, () => 100);
  });

  it('reports what it holds at the current frame sizes', () => {
    const ring = new RingBuffer(1000, 100, 1100);
    for (let i = 1; i <= 10; i++) ring.push(frameOf(i, 50), meta(i));
    assert.equal(ring.packed, true);
    assert.equal(ring.bytesHeld, 500);
    assert.equal(ring.framesAtCurrentSize, 20);
  });

  it('refuses a region that cannot hold two of its largest frames', () => {
    assert.throws(() => new RingBuffer(10, 100, 150), /cannot hold two frames/);
  });
});
