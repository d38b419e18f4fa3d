import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FramePool } from '../../../src/core/export/frame-pool.js';

describe('FramePool', () => {
  it('makes at most `size` buffers, shared memory, and hands a released one to the next waiter', async () => {
    const pool = new FramePool(16, 2);
    const a = await pool.acquire();
    const b = await pool.acquire();
    assert.ok(a.buffer instanceof SharedArrayBuffer);
    assert.equal(a.length, 16);
    assert.notEqual(a, b);
    let third: Buffer | undefined;
    const waiting = pool.acquire().then((buffer) => (third = buffer));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(third, undefined, 'a third buffer waits while both are taken');
    pool.release(a);
    assert.equal(await waiting, a);
    assert.equal(pool.allocated, 2);
    pool.release(b);
    assert.equal(await pool.acquire(), b);
  });

  it('tryAcquire hands out a free or new buffer, and undefined (no waiting) once all are taken', () => {
    const pool = new FramePool(8, 1);
    const a = pool.tryAcquire();
    assert.ok(a?.buffer instanceof SharedArrayBuffer);
    assert.equal(pool.tryAcquire(), undefined);
    pool.release(a);
    assert.equal(pool.tryAcquire(), a);
    assert.equal(pool.allocated, 1);
  });
});
