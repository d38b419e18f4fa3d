import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig, parseConfig } from '../../../src/core/config/load-config.js';
import { applyConfigUpdate } from '../../../src/core/config/config-update.js';
import { persistConfig } from '../../../src/core/config/persist-config.js';
import { configReference } from '../../../scripts/config-doc.js';
import { ROOT } from '../../helpers/service.js';

function messages(raw: unknown): string[] {
  try {
    parseConfig(raw);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    return error.issues.map((issue) => issue.message);
  }
  assert.fail('config was accepted');
}

describe('config', () => {
  it('fills every default from the schema', () => {
    const config = parseConfig({});
    assert.equal(config.camera.source, 'auto');
    assert.equal(config.network.port, 9999);
    assert.equal(config.network.grpc_port, 50051);
    assert.equal(config.network.host, '0.0.0.0');
    assert.equal(config.logging.level, 'info');
    assert.deepEqual(config.export.formats, ['jpg']);
  });

  it("loads the Python service's short forms unchanged", () => {
    const config = parseConfig({ ring: 120, network: 9999, logging: 'WARNING' });
    assert.deepEqual(config.ring, { frames: 120, compressed_seconds: 0, compressed_quality: 80 });
    assert.deepEqual(parseConfig({}).ring, { seconds: 3, compressed_seconds: 0, compressed_quality: 80 }, 'the default ring is 3 s');
    assert.deepEqual(parseConfig({ ring: { max_bytes: 1e8 } }).ring, { max_bytes: 1e8, compressed_seconds: 0, compressed_quality: 80 });
    assert.equal(config.network.port, 9999);
    assert.equal(config.logging.level, 'warn');
    assert.equal(parseConfig({ logging: { level: 'CRITICAL' } }).logging.level, 'fatal');
    assert.equal(parseConfig({ network: { port: 9998 } }).network.port, 9998);
    assert.equal(parseConfig({ logging: 'DEBUG' }).logging.level, 'debug');
  });

  it('loads a whole config written for the Python service', () => {
    const python = {
      camera: { width: 1280, height: 720, framerate: 30, codec: 'rgb', video_mode: 'stream' },
      ring: 150,
      night: { enable: true, dark_threshold: 40, bright_threshold: 60, min_dark_frames: 10, mode: 'still', exposure_us: 200000, gain: 8.0 },
      export: { base_dir: 'captures', formats: ['jpg', 'png', 'npy'], save_before_s: 3, save_after_s: 2, stack_dark_frames: true, stack_count: 5 },
      network: { port: 9999 },
      logging: { level: 'INFO' },
    };
    const config = parseConfig(python);
    assert.equal(config.night.mode, 'still');
    assert.equal(config.export.stack_count, 5);
  });

  it('names the field, what was expected and what was received', () => {
    assert.deepEqual(messages({ night: { min_dark_frames: -3 } }), ['night.min_dark_frames: expected integer >= 1, received -3']);
    assert.deepEqual(messages({ camera: { width: 'wide' } }), ['camera.width: expected number, received "wide"']);
    assert.deepEqual(messages({ camera: { width: 640.5 } }), ['camera.width: expected integer, received 640.5']);
    assert.deepEqual(messages({ camera: { codec: 'h264' } }), ['camera.codec: expected one of "auto" | "rgb" | "yuv420" | "mjpeg", received "h264"']);
    assert.deepEqual(messages({ camera: { rotation: 90 } }), ['camera.rotation: expected one of 0 | 180, received 90']);
    assert.deepEqual(messages({ ring: { frames: 10, seconds: 2 } }), ['ring: give one of frames, seconds, max_bytes']);
    assert.deepEqual(messages({ export: { formats: ['gif'] } }), ['export.formats.0: expected one of "jpg" | "png" | "npy" | "mp4", received "gif"']);
    assert.deepEqual(messages({ night: { gain: 0.5 } }), ['night.gain: expected number >= 1, received 0.5']);
  });

  it('refuses unknown fields by path', () => {
    assert.deepEqual(messages({ camera: { widht: 640 } }), ['camera.widht: unknown field']);
    assert.deepEqual(messages({ extra: 1 }), ['extra: unknown field']);
  });

  it('requires bright_threshold above dark_threshold', () => {
    assert.deepEqual(messages({ night: { dark_threshold: 50, bright_threshold: 40 } }), [
      'night.bright_threshold: expected number > night.dark_threshold (50), received 40',
    ]);
  });

  it('loads the shipped config.json', async () => {
    const loaded = await loadConfig(path.join(ROOT, 'config.json'), true);
    assert.equal(loaded.file, path.join(ROOT, 'config.json'));
    assert.equal(loaded.config.network.port, 9999);
  });

  it('reports unreadable and malformed files', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'picam-config-'));
    try {
      await assert.rejects(loadConfig(path.join(dir, 'missing.json'), true), /cannot read config/);
      const defaults = await loadConfig(path.join(dir, 'missing.json'), false);
      assert.equal(defaults.file, undefined);
      await writeFile(path.join(dir, 'bad.json'), '{ "ring": ');
      await assert.rejects(loadConfig(path.join(dir, 'bad.json'), true), (error: unknown) => error instanceof ConfigError && /expected JSON/.test(error.message));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('applies updates with the same schema and messages', () => {
    const config = parseConfig({});
    const next = applyConfigUpdate(config, new Map([['night.dark_threshold', 30]]));
    assert.equal(next.night.dark_threshold, 30);
    assert.equal(config.night.dark_threshold, 40, 'the original is not mutated');
    const reset = applyConfigUpdate(next, new Map([['night.dark_threshold', undefined]]));
    assert.equal(reset.night.dark_threshold, 40, 'an unset masked field returns to its default');
    assert.throws(() => applyConfigUpdate(config, new Map([['night.min_dark_frames', 0]])), {
      message: 'night.min_dark_frames: expected integer >= 1, received 0',
    });
    assert.throws(() => applyConfigUpdate(config, new Map([['night.nope', 1]])), { message: 'night.nope: unknown field' });
  });

  it('persists only the changed keys, keeping short forms and a backup', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'picam-persist-'));
    try {
      const file = path.join(dir, 'config.json');
      const original = JSON.stringify({ ring: 150, network: 9999, logging: 'INFO' });
      await writeFile(file, original);
      const config = parseConfig({ ring: 150, network: { port: 9999, host: '127.0.0.1' }, logging: 'INFO', night: { dark_threshold: 30 } });
      await persistConfig(file, config, ['network.host', 'night.dark_threshold']);
      const written = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
      assert.deepEqual(written, { ring: 150, network: { port: 9999, host: '127.0.0.1' }, logging: 'INFO', night: { dark_threshold: 30 } });
      assert.equal(await readFile(`${file}.bak`, 'utf8'), original);
      assert.equal(parseConfig(written).network.host, '127.0.0.1', 'still a valid config');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('keeps docs/config.md in step with the schema', async () => {
    const committed = await readFile(path.join(ROOT, 'docs/config.md'), 'utf8');
    assert.equal(committed, configReference() + '\n', 'run `npm run docs:config` and commit docs/config.md');
  });
});
