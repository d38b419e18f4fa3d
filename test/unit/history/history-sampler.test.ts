import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Clock } from '../../../src/core/clock.js';
import { History } from '../../../src/core/history/history.js';
import { HistorySampler, type SampledCounters } from '../../../src/core/history/history-sampler.js';

it('history sampler records per-second deltas of the counters, stamped by the clock', () => {
  const history = new History();
  let now = 5_000;
  const clock: Clock = { wallMs: () => now, monotonicMs: () => now };
  const counters: SampledCounters = {
    night: { night: false, darkScore: 120, normalizedScore: 120, exposure: { exposureUs: 10_000, gain: 1 } } as SampledCounters['night'],
    fps: 30,
    framesDropped: 0,
    streamDropped: 0,
    streamSubscribers: 2,
    eventsTriggered: 0,
  };
  const sampler = new HistorySampler(history, () => counters, clock);
  sampler.sample();
  Object.assign(counters, { framesDropped: 3, streamDropped: 10, eventsTriggered: 1 });
  now += 1000;
  sampler.sample();
  Object.assign(counters, { framesDropped: 4, streamDropped: 10, eventsTriggered: 1 });
  now += 1000;
  sampler.sample();
  const { samples } = history.latest(3);
  assert.deepEqual(samples.timeMs, [5_000, 6_000, 7_000]);
  assert.deepEqual(samples.dropped, [0, 3, 1]);
  assert.deepEqual(samples.streamDropped, [0, 10, 0]);
  assert.deepEqual(samples.events, [0, 1, 0]);
  assert.deepEqual(samples.subscribers, [2, 2, 2]);
});
