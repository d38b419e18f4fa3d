import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ServingWatchdog } from '../../../src/core/serving/serving-watchdog.js';

function watchdog(fps = 30) {
  const stalls: number[] = [];
  const changes: boolean[] = [];
  const dog = new ServingWatchdog({ expectedFps: () => fps, stalled: (ms) => stalls.push(ms) });
  dog.onChange((serving) => changes.push(serving));
  return { dog, stalls, changes };
}

describe('serving watchdog', () => {
  it('serves from the first frame and stalls after 1 s without one, telling once', () => {
    const { dog, stalls, changes } = watchdog();
    assert.equal(dog.isServing, false);
    dog.frame();
    assert.equal(dog.isServing, true);
    for (let i = 0; i < 5; i++) dog.check(200);
    assert.equal(dog.isServing, true, '200 ms checks: the first had a frame, four quiet = 800 ms');
    dog.check(200);
    dog.check(200);
    assert.equal(dog.isServing, false);
    assert.deepEqual(stalls, [1200]);
    dog.check(200);
    assert.deepEqual(stalls, [1200], 'told once per stall');
    dog.frame();
    assert.deepEqual(changes, [true, false, true]);
  });

  it('a frame between checks resets the quiet time', () => {
    const { dog, stalls } = watchdog();
    for (let i = 0; i < 20; i++) {
      dog.frame();
      dog.check(900);
    }
    assert.equal(dog.isServing, true);
    assert.deepEqual(stalls, []);
  });

  it('gives a slow source five frame intervals', () => {
    const { dog } = watchdog(1);
    dog.frame();
    dog.check(200);
    for (let i = 0; i < 24; i++) dog.check(200);
    assert.equal(dog.isServing, true, '4.8 s quiet at 1 fps');
    dog.check(400);
    assert.equal(dog.isServing, false);
  });

  it('stop ends serving', () => {
    const { dog, changes } = watchdog();
    dog.start();
    dog.frame();
    dog.stop();
    assert.deepEqual(changes, [true, false]);
  });
});
