import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RingBuffer } from '../../../src/core/ring/ring-buffer.js';

const meta = (timestampMs: number) => ({ timestampMs, monotonicMs: timestampMs, darkScore: 10, night: false, exposureUs: 1000, gain: 1 });

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

  it('refuses frames larger than a slot, and keeps the length of smaller ones (JPEG)', () => {
    const ring = new RingBuffer(2, 4);
    assert.throws(() => ring.push(Buffer.alloc(5), meta(1)), RangeError);
    const id = ring.push(Buffer.from([1, 2, 3]), meta(1));
    assert.deepEqual([...ring.get(id)!.data], [1, 2, 3]);
  });

  it('evicts the oldest frame as soon as its slot is acquired, so nobody reads it half written', () => {
    const ring = new RingBuffer(3, 2);
    for (let i = 1; i <= 3; i++) ring.push(Buffer.alloc(2, i), meta(i));
    const slot = ring.acquire();
    assert.equal(ring.get(1), undefined, 'frame 1 left when its slot was handed to the writer');
    assert.equal(ring.oldestId, 2);
    slot[0] = 9; // a chunk arrives
    assert.deepEqual([...ring.get(2)!.data], [2, 2], 'other frames untouched');
    slot[1] = 9;
    const id = ring.commit(2, meta(4));
    assert.equal(id, 4);
    assert.deepEqual([...ring.get(4)!.data], [9, 9]);
  });

  it('a reader lapped by the writer gets nothing rather than torn pixels', () => {
    const frameBytes = 64;
    const ring = new RingBuffer(4, frameBytes);
    const copy = Buffer.alloc(frameBytes);
    let dropped = 0;
    let checked = 0;
    let readerNext = 1;
    // The writer fills slots in chunks; the reader takes one frame per three written.
    for (let id = 1; id <= 200; id++) {
      const slot = ring.acquire();
      for (let offset = 0; offset < frameBytes; offset += 16) {
        slot.fill(id % 256, offset, offset + 16);
        if (id % 3 === 0) {
          const meta = ring.copyOut(readerNext, copy);
          if (!meta) {
            dropped++;
          } else {
            assert.ok(copy.every((b) => b === readerNext % 256), `frame ${readerNext} intact`);
            checked++;
          }
          readerNext++;
          if (readerNext < ring.oldestId) {
            dropped += ring.oldestId - readerNext;
            readerNext = ring.oldestId;
          }
        }
      }
      ring.commit(frameBytes, meta(id));
    }
    assert.ok(dropped > 0, 'the slow reader was lapped');
    assert.ok(checked > 0);
  });

  it('wakes waiters on the next frame', async () => {
    const ring = new RingBuffer(2, 1);
    const next = ring.nextFrame();
    ring.push(Buffer.alloc(1), meta(1));
    assert.equal(await next, 1);
  });
});
