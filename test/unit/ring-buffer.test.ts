import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RingBuffer } from '../../src/core/ring/ring-buffer.js';

const meta = (timestampMs: number) => ({ timestampMs, darkScore: 10, night: false, exposureUs: 1000, gain: 1 });

describe('RingBuffer', () => {
  it('keeps the newest frames and forgets the oldest', () => {
    const ring = new RingBuffer(3, 4);
    for (let i = 1; i <= 5; i++) ring.push(Buffer.alloc(4, i), meta(i * 10));
    assert.equal(ring.size, 3);
    assert.equal(ring.oldestId, 3);
    assert.equal(ring.newestId, 5);
    assert.equal(ring.get(2), undefined);
    assert.deepEqual([...ring.get(4)!.data], [4, 4, 4, 4]);
    assert.equal(ring.get(5)!.meta.timestampMs, 50);
  });

  it('copies into slots allocated up front', () => {
    const ring = new RingBuffer(2, 8);
    ring.push(Buffer.alloc(8, 1), meta(1));
    const slot = ring.get(1)!.data;
    ring.push(Buffer.alloc(8, 2), meta(2));
    ring.push(Buffer.alloc(8, 3), meta(3));
    assert.equal(ring.get(3)!.data.buffer, slot.buffer, 'frame 3 reuses frame 1 slot');
    assert.equal(ring.payloadBytes, 16);
  });

  it('finds frames by time', () => {
    const ring = new RingBuffer(10, 1);
    for (let i = 1; i <= 15; i++) ring.push(Buffer.alloc(1), meta(i * 100));
    assert.equal(ring.firstAtOrAfter(0), 6, 'before the oldest: the oldest');
    assert.equal(ring.firstAtOrAfter(750), 8);
    assert.equal(ring.firstAtOrAfter(800), 8);
    assert.equal(ring.firstAtOrAfter(5000), 16, 'after the newest: the next id');
  });

  it('refuses frames of the wrong size', () => {
    const ring = new RingBuffer(2, 4);
    assert.throws(() => ring.push(Buffer.alloc(3), meta(1)), RangeError);
  });

  it('wakes waiters on the next frame', async () => {
    const ring = new RingBuffer(2, 1);
    const next = ring.nextFrame();
    ring.push(Buffer.alloc(1), meta(1));
    assert.equal(await next, 1);
  });
});
