import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '../../../src/core/config/load-config.js';
import { PicamError } from '../../../src/core/errors.js';
import { planConfigure } from '../../../src/core/runtime-config/config-plan.js';

const config = parseConfig({});

describe('runtime config plan', () => {
  it('lists only the paths whose value changes, in request order, and leaves the current config alone', () => {
    const current = structuredClone(config);
    const plan = planConfigure(current, new Map<string, unknown>([['night.dark_threshold', 30], ['night.enable', config.night.enable], ['export.jpeg_quality', 70]]));
    assert.deepEqual(plan.changed, ['night.dark_threshold', 'export.jpeg_quality']);
    assert.equal(plan.next.night.dark_threshold, 30);
    assert.deepEqual(current, config, 'pure: the current config is untouched');
  });

  it('refuses a change only a restart can make, naming the field, but accepts the same value', () => {
    assert.throws(
      () => planConfigure(config, new Map([['camera.width', config.camera.width + 2]])),
      (error: unknown) => error instanceof PicamError && error.code === 'FAILED_PRECONDITION' && error.field === 'camera.width' && /only a restart/.test(error.message),
    );
    assert.deepEqual(planConfigure(config, new Map([['camera.width', config.camera.width]])).changed, []);
  });

  it('refuses export.base_dir unless the config file opens it', () => {
    assert.throws(
      () => planConfigure(config, new Map([['export.base_dir', '/tmp/elsewhere']])),
      (error: unknown) => error instanceof PicamError && error.field === 'export.base_dir' && /allow_runtime_base_dir/.test(error.message),
    );
    const open = parseConfig({ export: { allow_runtime_base_dir: true } });
    assert.deepEqual(planConfigure(open, new Map([['export.base_dir', '/tmp/elsewhere']])).changed, ['export.base_dir']);
  });

  it('passes a bad value on as the schema error naming the field', () => {
    assert.throws(() => planConfigure(config, new Map([['night.min_dark_frames', 0]])), /night\.min_dark_frames/);
  });
});
