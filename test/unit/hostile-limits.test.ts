import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PicamError } from '../../src/core/errors.js';
import { checkStreamOutput } from '../../src/core/stream/stream-limits.js';
import { AuthBackoff } from '../../src/line/auth-backoff.js';
import { RateLimitedLog } from '../../src/line/rate-limited-log.js';
import type { Logger } from '../../src/core/index.js';

describe('AuthBackoff', () => {
  it('holds an address back after three failures, doubling to 10 s, and forgets it on success or after 15 min', () => {
    let now = 0;
    const backoff = new AuthBackoff(() => now);
    const delays: number[] = [];
    for (let i = 0; i < 10; i++) {
      delays.push(backoff.delayMs('10.0.0.7'));
      backoff.failed('10.0.0.7');
    }
    assert.deepEqual(delays, [0, 0, 0, 250, 500, 1000, 2000, 4000, 8000, 10000]);
    assert.equal(backoff.delayMs('10.0.0.8'), 0, 'per address');
    now += 15 * 60_000 + 1;
    assert.equal(backoff.delayMs('10.0.0.7'), 0, 'forgotten after 15 min without failure');
    for (let i = 0; i < 5; i++) backoff.failed('10.0.0.9');
    backoff.succeeded('10.0.0.9');
    assert.equal(backoff.delayMs('10.0.0.9'), 0, 'the right token clears the address');
  });

  it('remembers a bounded number of addresses', () => {
    const backoff = new AuthBackoff(() => 0);
    for (let i = 0; i < 3; i++) backoff.failed('first');
    for (let i = 0; i < 5000; i++) backoff.failed(`addr-${i}`);
    assert.equal(backoff.delayMs('first'), 0, 'the least recently failing address was dropped');
  });
});

describe('RateLimitedLog', () => {
  it('lets a burst of 5 through, then one per interval, counting what it left out', () => {
    let now = 0;
    const lines: Array<Record<string, unknown>> = [];
    const logger = { warn: (details: Record<string, unknown>) => lines.push(details) } as unknown as Logger;
    const log = new RateLimitedLog(logger, 5, 10_000, () => now);
    for (let i = 0; i < 100; i++) log.warn({ i }, 'wrong token');
    assert.equal(lines.length, 5);
    now += 10_000;
    log.warn({ i: 100 }, 'wrong token');
    assert.deepEqual(lines.at(-1), { i: 100, suppressed: 95 });
  });
});

describe('checkStreamOutput', () => {
  const camera = { width: 7680, height: 4320, format: 'rgb24' as const };
  const limit = 64 * 1024 * 1024 - 4096;
  it('refuses a raw frame that cannot fit the message limit, before encoding, naming width', () => {
    assert.throws(
      () => checkStreamOutput(camera, { encoding: 'raw', width: 0, height: 0, pixel_format: 'rgb24' }, limit),
      (error: unknown) => error instanceof PicamError && error.code === 'INVALID_ARGUMENT' && error.field === 'width' && /^width: a 7680x4320 rgb24 frame is 99532800 bytes/.test(error.message),
    );
    checkStreamOutput(camera, { encoding: 'raw', width: 0, height: 0, pixel_format: 'gray8' }, limit);
    checkStreamOutput(camera, { encoding: 'raw', width: 3840, height: 0, pixel_format: 'rgb24' }, limit);
    checkStreamOutput(camera, { encoding: 'jpeg', width: 0, height: 0, pixel_format: 'rgb24' }, limit);
  });
  it('never upscales, also through the aspect ratio', () => {
    const small = { width: 320, height: 240, format: 'yuv420' as const };
    assert.throws(() => checkStreamOutput(small, { encoding: 'jpeg', width: 321, height: 0, pixel_format: 'rgb24' }, undefined), { message: /^width: expected integer <= 320/ });
    assert.throws(() => checkStreamOutput(small, { encoding: 'jpeg', width: 100, height: 241, pixel_format: 'rgb24' }, undefined), { message: /^height: expected integer <= 240/ });
    checkStreamOutput(small, { encoding: 'jpeg', width: 320, height: 100, pixel_format: 'rgb24' }, undefined);
  });
});
