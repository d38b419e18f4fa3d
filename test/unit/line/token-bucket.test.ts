import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TokenBucket } from '../../../src/line/token-bucket.js';

/** A clock the test moves by hand, so every count below is exact. */
function manualClock(): { now: () => number; advance: (ms: number) => void } {
  let ms = 1000;
  return { now: () => ms, advance: (by) => (ms += by) };
}

function takeAll(bucket: TokenBucket, tries = 100): number {
  let taken = 0;
  for (let i = 0; i < tries; i++) if (bucket.take()) taken++;
  return taken;
}

describe('TokenBucket', () => {
  it('allows a burst of its capacity, then nothing until time passes', () => {
    const clock = manualClock();
    const bucket = new TokenBucket(5, 5, clock.now);
    assert.equal(takeAll(bucket), 5);
    assert.equal(bucket.take(), false);
  });

  it('refills at its rate: 5 per second gives one token per 200 ms', () => {
    const clock = manualClock();
    const bucket = new TokenBucket(5, 5, clock.now);
    takeAll(bucket);
    clock.advance(199);
    assert.equal(bucket.take(), false);
    clock.advance(1);
    assert.equal(bucket.take(), true);
    assert.equal(bucket.take(), false);
    clock.advance(600);
    assert.equal(takeAll(bucket), 3);
  });

  it('never holds more than its capacity, however long it was idle', () => {
    const clock = manualClock();
    const bucket = new TokenBucket(3, 10, clock.now);
    clock.advance(3_600_000);
    assert.equal(takeAll(bucket), 3);
  });

  it('a refused take costs nothing: the partial token keeps accruing', () => {
    const clock = manualClock();
    const bucket = new TokenBucket(1, 1, clock.now);
    assert.equal(bucket.take(), true);
    for (let i = 0; i < 10; i++) {
      clock.advance(99);
      assert.equal(bucket.take(), false);
    }
    clock.advance(10);
    assert.equal(bucket.take(), true);
  });

  it('a slow rate (one per 10 s, as the wrong-token log) refills after exactly that', () => {
    const clock = manualClock();
    const bucket = new TokenBucket(2, 0.1, clock.now);
    assert.equal(takeAll(bucket), 2);
    clock.advance(9_999);
    assert.equal(bucket.take(), false);
    clock.advance(1);
    assert.equal(bucket.take(), true);
  });
});
