import assert from 'node:assert/strict';
import { it } from 'node:test';
import { History, type HistorySample } from '../../../src/core/history/history.js';

const sample = (timeMs: number, darkScore = 100): HistorySample => ({
  timeMs,
  darkScore,
  normalizedScore: darkScore / 2,
  night: darkScore < 40,
  exposureUs: 10000,
  gain: 1.5,
  fps: 29.5,
  dropped: 1,
  streamDropped: 2,
  subscribers: 3,
  events: 0,
});

it('history keeps the newest samples in a fixed circle, oldest first, and drops markers that aged out', () => {
  const history = new History(5);
  for (let t = 1; t <= 8; t++) history.record(sample(t * 1000, t * 10));
  assert.equal(history.size, 5);
  const all = history.latest(5);
  assert.deepEqual(all.samples.timeMs, [4000, 5000, 6000, 7000, 8000]);
  assert.deepEqual(all.samples.darkScore, [40, 50, 60, 70, 80]);
  assert.deepEqual(all.samples.night, [0, 0, 0, 0, 0]);
  assert.deepEqual(all.samples.gain, [1.5, 1.5, 1.5, 1.5, 1.5]);
  assert.deepEqual(history.latest(2).samples.timeMs, [7000, 8000]);
  assert.deepEqual(history.latest(99).samples.timeMs.length, 5);

  history.markTransition({ timeMs: 3500, night: true, frameId: 1, darkScore: 30, normalizedScore: 30, reason: 'old' });
  history.markTransition({ timeMs: 7500, night: false, frameId: 2, darkScore: 70, normalizedScore: 70, reason: 'new' });
  history.markEvent({ timeMs: 7600, eventId: 'e1', source: 'http', reason: '', state: 'pending' });
  history.updateEvent('e1', 'complete');
  history.updateEvent('gone', 'complete');
  const window = history.latest(5);
  assert.deepEqual(window.transitions.map((t) => t.reason), ['new'], 'a transition older than the oldest sample is dropped');
  assert.deepEqual(window.events.map((e) => [e.eventId, e.state]), [['e1', 'complete']]);

  // Markers are capped at the sample count even when they all fall in the window.
  for (let i = 0; i < 20; i++) history.markEvent({ timeMs: 8000, eventId: `x${i}`, source: 'line', reason: '', state: 'pending' });
  assert.equal(history.latest(5).events.length, 5);
  assert.equal(history.latest(5).events.at(-1)!.eventId, 'x19');
});
