import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SyntheticSource } from '../../src/core/capture/synthetic-source.js';
import { darkScore } from '../../src/core/night/dark-score.js';
import { NightController, type NightSettings } from '../../src/core/night/night-controller.js';

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
    // Real dawn: saturated at night settings for min_dark_frames frames.
    let transition;
    for (let i = 0; i < 5; i++) transition = night.update(250, nightExposure, 200 + i) ?? transition;
    assert.equal(transition?.night, false);
    assert.deepEqual(transition?.exposure, DAY);
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

  it('switches exactly twice per synthetic day/night cycle, with no flapping at dusk or dawn', () => {
    const cycle = 600;
    const source = new SyntheticSource({ width: 64, height: 48, framerate: 30, cycleFrames: cycle });
    const night = new NightController({ ...settings, min_dark_frames: 10 }, source.dayExposure);
    const transitions: boolean[] = [];
    const frame = Buffer.alloc(64 * 48 * 3);
    for (let i = 0; i < cycle * 3; i++) {
      const capture = source.renderInto(frame, i);
      const t = night.update(darkScore(frame, 64, 48, 'rgb24'), { exposureUs: capture.exposureUs, gain: capture.gain }, i);
      if (t) {
        transitions.push(t.night);
        source.apply({ exposure: t.exposure, fps: 30 });
      }
    }
    assert.deepEqual(transitions, [true, false, true, false, true, false]);
  });
});

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
