import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FrameClock, type Clock } from '../../../src/core/clock.js';

/** A machine clock that reads whatever the test sets. */
function machine(at: { wall: number; mono: number }): Clock {
  return { wallMs: () => at.wall, monotonicMs: () => at.mono };
}

describe('frame clock', () => {
  it('reads the machine clock until the first frame, then counts frames', () => {
    const at = { wall: 1_000_000, mono: 500 };
    const clock = new FrameClock(machine(at));
    assert.deepEqual([clock.wallMs(), clock.monotonicMs()], [1_000_000, 500]);
    at.mono = 600;
    at.wall = 1_000_100;
    assert.deepEqual(clock.advance(30), { wallMs: 1_000_100, monotonicMs: 600 });
    // The machine running late changes nothing: frame n is at t0 + n / fps.
    at.mono = 99_999;
    for (let n = 1; n < 30; n++) clock.advance(30);
    const last = clock.advance(30);
    assert.ok(Math.abs(last.monotonicMs - 1600) < 1e-6, `${last.monotonicMs}`);
    assert.equal(last.wallMs, 1_001_100);
  });

  it('stands half an interval past the newest frame, so a window around now holds exactly s * fps frames', () => {
    const clock = new FrameClock(machine({ wall: 0, mono: 0 }));
    const stamps: number[] = [];
    for (let n = 0; n < 100; n++) stamps.push(clock.advance(30).monotonicMs);
    const now = clock.monotonicMs();
    assert.ok(Math.abs(now - (99.5 * 1000) / 30) < 1e-6);
    for (const s of [0.2, 0.5, 1, 2]) {
      const held = stamps.filter((t) => t >= now - s * 1000 && t <= now).length;
      assert.equal(held, Math.round(s * 30), `${s} s before now`);
    }
  });

  it('follows a rate change from the next frame on', () => {
    const clock = new FrameClock(machine({ wall: 0, mono: 0 }));
    clock.advance(10);
    assert.equal(clock.advance(10).monotonicMs, 100);
    assert.equal(clock.advance(2).monotonicMs, 600);
    assert.equal(clock.monotonicMs(), 850);
  });
});
