import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FrameSink } from '../../../src/core/capture/frame-source.js';
import { SyntheticSource } from '../../../src/core/capture/synthetic-source.js';
import { FrameClock } from '../../../src/core/clock.js';
import type { CaptureInfo } from '../../../src/core/frame.js';

describe('synthetic source on a frame clock', () => {
  it('stamps frame n at t0 + n / fps and makes every frame, even when the event loop is blocked', async () => {
    const clock = new FrameClock();
    const source = new SyntheticSource({ width: 32, height: 16, framerate: 30, cycleFrames: 0, frameClock: clock });
    const frames: CaptureInfo[] = [];
    const slot = Buffer.alloc(32 * 16 * 3);
    let done: () => void = () => undefined;
    const enough = new Promise<void>((resolve) => (done = resolve));
    const sink: FrameSink = {
      acquire: () => slot,
      commit: (_length, capture) => {
        frames.push(capture);
        if (frames.length === 1) {
          // Block the loop for 300 ms: ~9 frames fall due meanwhile.
          const until = performance.now() + 300;
          while (performance.now() < until);
        }
        if (frames.length === 30) done();
      },
      dropped: () => assert.fail('nothing dropped'),
      error: (message) => assert.fail(message),
      log: () => undefined,
    };
    await source.start(sink);
    await enough;
    await source.stop();
    const t0 = frames[0]!.monotonicMs;
    frames.slice(0, 30).forEach((frame, n) => {
      assert.ok(Math.abs(frame.monotonicMs - (t0 + (n * 1000) / 30)) < 1e-6, `frame ${n} at ${frame.monotonicMs - t0} ms`);
      assert.ok(Number.isInteger(frame.timestampMs) && Math.abs(frame.timestampMs - frame.monotonicMs - (frames[0]!.timestampMs - t0)) <= 0.5, 'wall (whole ms) follows monotonic');
    });
    assert.ok(Math.abs(clock.monotonicMs() - (t0 + ((frames.length - 0.5) * 1000) / 30)) < 1e-6, 'the clock stands half a frame past the newest');
  });
});
