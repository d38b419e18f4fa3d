import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SyntheticSource } from '../../../src/core/capture/synthetic-source.js';
import { darkScore } from '../../../src/core/night/dark-score.js';
import { NightController, type NightSettings } from '../../../src/core/night/night-controller.js';

const DAY = { exposureUs: 10_000, gain: 1 };
const settings: NightSettings = {
  enable: true,
  dark_threshold: 40,
  bright_threshold: 60,
  min_dark_frames: 5,
  mode: 'slow_video',
  exposure_us: 40_000,
  gain: 2,
};

describe('dark score', () => {
  it('is the mean luma of the frame', () => {
    const grey = Buffer.alloc(64 * 48 * 3, 100);
    assert.equal(darkScore(grey, 64, 48, 'rgb24'), 100); // (77+150+29) * 100 >> 8
    assert.equal(darkScore(Buffer.alloc(64 * 48 * 3, 0), 64, 48, 'rgb24'), 0);
    assert.equal(darkScore(Buffer.alloc(64 * 48 * 3, 255), 64, 48, 'rgb24'), 255);
    assert.equal(darkScore(Buffer.alloc(64 * 48, 77), 64, 48, 'gray8'), 77);
  });

  it('weighs green most, as luma does', () => {
    const red = Buffer.alloc(32 * 32 * 3);
    const green = Buffer.alloc(32 * 32 * 3);
    for (let i = 0; i < red.length; i += 3) {
      red[i] = 200;
      green[i + 1] = 200;
    }
    assert.ok(darkScore(green, 32, 32, 'rgb24') > darkScore(red, 32, 32, 'rgb24'));
  });
});

describe('NightController', () => {
  it('enters night only after min_dark_frames consecutive dark frames', () => {
    const night = new NightController(settings, DAY);
    for (let i = 0; i < 4; i++) assert.equal(night.update(10, DAY, i), undefined);
    night.update(100, DAY, 4); // one bright frame resets the run
    for (let i = 0; i < 4; i++) assert.equal(night.update(10, DAY, 5 + i), undefined);
    const transition = night.update(10, DAY, 9);
    assert.equal(transition?.night, true);
    assert.deepEqual(transition?.exposure, { exposureUs: 40_000, gain: 2 });
    assert.equal(night.snapshot().transitions, 1);
  });

  it('counts a score that stands for several frames (a JPEG source scores one of every few) as that many', () => {
    const night = new NightController(settings, DAY);
    assert.equal(night.update(10, DAY, 0, 4, 4), undefined); // 4 of the 5 frames needed
    assert.equal(night.update(10, DAY, 4, 8, 4)?.night, true);
    const other = new NightController(settings, DAY);
    other.update(10, DAY, 0, 4, 4);
    other.update(100, DAY, 4, 5, 1); // a bright frame still resets the run
    assert.equal(other.update(10, DAY, 5, 9, 4), undefined);
  });

  it('judges the exit on the score normalised to day exposure, so night gain does not flap it', () => {
    const night = new NightController(settings, DAY);
    for (let i = 0; i < 5; i++) night.update(10, DAY, i);
    assert.ok(night.isNight);
    const nightExposure = { exposureUs: 40_000, gain: 2 };
    // Night settings multiply light by 8: a raw 120 is only 15 in day terms.
    for (let i = 0; i < 50; i++) assert.equal(night.update(120, nightExposure, 10 + i), undefined);
    assert.ok(night.isNight);
    assert.equal(night.snapshot().normalizedScore, 15);
    // A passing headlight (a few saturated frames) does not end the night either.
    for (let i = 0; i < 3; i++) night.update(250, nightExposure, 100 + i);
    night.update(120, nightExposure, 103);
    assert.ok(night.isNight);
    // Real dawn: a run of clipped frames lowers the night exposure (it cannot be judged clipped)...
    let change;
    for (let i = 0; i < 5; i++) change = night.update(250, nightExposure, 200 + i) ?? change;
    assert.equal(change?.kind, 'adjust');
    assert.ok(night.isNight);
    assert.deepEqual(change?.exposure, { exposureUs: 20_000, gain: 1 }, 'gain lowered first: 4x less light');
    // ...frames still in flight at the old settings do not count for the new step...
    for (let i = 0; i < 10; i++) assert.equal(night.update(250, nightExposure, 210 + i), undefined);
    // ...and at 2x the picture is 140 raw, 70 normalised: brighter than 60, so day returns.
    let leave;
    for (let i = 0; i < 5; i++) leave = night.update(140, change.exposure, 300 + i) ?? leave;
    assert.equal(leave?.kind, 'leave');
    assert.deepEqual(leave?.exposure, DAY);
    assert.equal(night.snapshot().transitions, 2, 'adjustments are not transitions');
  });

  it('steps the night exposure back up when a reduced step leaves the picture too dark', () => {
    const night = new NightController(settings, DAY);
    for (let i = 0; i < 5; i++) night.update(10, DAY, i);
    let change;
    for (let i = 0; i < 5; i++) change = night.update(250, { exposureUs: 40_000, gain: 2 }, 10 + i) ?? change;
    assert.equal(change?.kind, 'adjust');
    let back;
    for (let i = 0; i < 5; i++) back = night.update(20, change.exposure, 20 + i) ?? back;
    assert.equal(back?.kind, 'adjust');
    assert.deepEqual(back?.exposure, { exposureUs: 40_000, gain: 2 });
  });

  it('stays day when disabled, and leaves night when disabled at run time', () => {
    const night = new NightController({ ...settings, enable: false }, DAY);
    for (let i = 0; i < 20; i++) assert.equal(night.update(0, DAY, i), undefined);
    night.configure(settings, 20);
    for (let i = 0; i < 5; i++) night.update(0, DAY, 21 + i);
    assert.ok(night.isNight);
    const off = night.configure({ ...settings, enable: false }, 30);
    assert.equal(off?.night, false);
  });

  for (const [label, exposure_us, gain] of [
    ['moderate night settings (8x)', 40_000, 2],
    ['strong night settings (1600x, saturating long before dawn)', 1_000_000, 16],
  ] as const) {
    it(`switches exactly twice per synthetic day/night cycle, no flapping at dusk or dawn: ${label}`, () => {
      const transitions = simulateCycles({ ...settings, min_dark_frames: 10, exposure_us, gain }, 600, 3);
      assert.deepEqual(transitions, [true, false, true, false, true, false]);
    });
  }
});

/** Runs the synthetic scene through the controller for `cycles` cycles; returns the transitions. */
function simulateCycles(nightSettings: NightSettings, cycle: number, cycles: number): boolean[] {
  {
    const source = new SyntheticSource({ width: 64, height: 48, framerate: 30, cycleFrames: cycle });
    const night = new NightController(nightSettings, source.dayExposure);
    const transitions: boolean[] = [];
    const frame = Buffer.alloc(64 * 48 * 3);
    for (let i = 0; i < cycle * cycles; i++) {
      const capture = source.renderInto(frame, i);
      const change = night.update(darkScore(frame, 64, 48, 'rgb24'), { exposureUs: capture.exposureUs, gain: capture.gain }, i);
      if (change) {
        if (change.kind !== 'adjust') transitions.push(change.night);
        source.apply({ exposure: change.exposure, fps: 30 });
      }
    }
    return transitions;
  }
}

describe('SyntheticSource', () => {
  it('applies hflip and vflip to the scene it renders', () => {
    const render = (flips: { hflip?: boolean; vflip?: boolean }) => {
      const source = new SyntheticSource({ width: 64, height: 64, framerate: 30, cycleFrames: 0, ...flips });
      const frame = Buffer.alloc(64 * 64 * 3);
      source.renderInto(frame, 0);
      return frame;
    };
    const plain = render({});
    const mirrored = render({ hflip: true });
    const px = (f: Buffer, x: number, y: number) => [...f.subarray((y * 64 + x) * 3, (y * 64 + x) * 3 + 3)];
    // The red ramp runs left to right, so the mirror's left edge is the original's right edge.
    assert.equal(px(mirrored, 0, 0)[0], px(plain, 63, 0)[0]);
    const upside = render({ vflip: true });
    assert.equal(px(upside, 0, 0)[1], px(plain, 0, 63)[1]);
  });
});
