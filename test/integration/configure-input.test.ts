import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { toJson } from '@bufbuild/protobuf';
import { ConfigSchema, EventState } from '../../src/gen/picam/v1/camera_pb.js';
import { PicamClient } from '../../clients/ts/src/index.js';
import { grpcError } from '../helpers/grpc-client.js';
import { startService, type Service } from '../helpers/service.js';

/** An out-of-range value for every field Configure may change at run time. */
const BAD: Record<string, unknown> = {
  'night.dark_threshold': 300,
  'night.bright_threshold': -1,
  'night.min_dark_frames': 0,
  'night.mode': 'dusk',
  'night.exposure_us': 0,
  'night.gain': 100,
  'export.formats': ['gif'],
  'export.save_before_s': -1,
  'export.save_after_s': 99999,
  'export.stack_count': 1,
  'export.jpeg_quality': 0,
  'export.png_compression': 10,
  'export.max_pending_events': 0,
  'export.shutdown_grace_s': -1,
  'export.max_age_days': -1,
  'export.max_window_s': 0,
  'logging.level': 'loud',
  'mqtt.discovery_prefix': 'home#assistant',
  'mqtt.snapshot_interval_s': -1,
  'mqtt.state_interval_s': 0,
};

describe('Configure with bad input', () => {
  let service: Service;
  let client: PicamClient;
  const current = async () => JSON.stringify(toJson(ConfigSchema, (await client.raw.configure({ validateOnly: true })).config!));

  before(async () => {
    service = await startService({});
    client = new PicamClient(service.grpcAddress);
  });

  after(async () => {
    client.close();
    assert.equal(await service.stop(), 0);
  });

  for (const [path, value] of Object.entries(BAD)) {
    it(`${path} = ${JSON.stringify(value)} gets INVALID_ARGUMENT naming the field and changes nothing`, async () => {
      const before = await current();
      const error = await grpcError(client.configure({ [path]: value, 'night.dark_threshold': path === 'night.dark_threshold' ? value : 41 }));
      assert.equal(error.code, grpc.status.INVALID_ARGUMENT, error.details);
      assert.ok(error.details.includes(path), `"${error.details}" names ${path}`);
      assert.equal(await current(), before, 'nothing applied, not even the valid field beside it');
    });
  }

  it('an unknown path is INVALID_ARGUMENT, a restart-only change FAILED_PRECONDITION', async () => {
    assert.equal((await grpcError(client.raw.configure({ updateMask: { paths: ['night.colour'] } }))).code, grpc.status.INVALID_ARGUMENT);
    assert.equal((await grpcError(client.raw.configure({ updateMask: { paths: ['nope'] } }))).code, grpc.status.INVALID_ARGUMENT);
    assert.equal((await grpcError(client.configure({ 'network.port': 1234 }))).code, grpc.status.FAILED_PRECONDITION);
  });

  it('only real schema fields are paths: prototype names are unknown fields, and nothing is persisted', async () => {
    const { readFile } = await import('node:fs/promises');
    const fileBefore = await readFile(service.configFile, 'utf8');
    for (const path of ['night.__proto__', 'night.constructor', 'export.toString', 'night.hasOwnProperty', '__proto__.x', 'constructor.name']) {
      const error = await grpcError(client.raw.configure({ updateMask: { paths: [path] }, persist: true }));
      assert.equal(error.code, grpc.status.INVALID_ARGUMENT, `${path}: ${error.details}`);
      assert.ok(error.details.includes(path) || error.details.startsWith('update_mask'), `"${error.details}" names ${path}`);
    }
    assert.equal(await readFile(service.configFile, 'utf8'), fileBefore);
    // Real fields still get their own answer (ring is fixed at start).
    assert.equal((await grpcError(client.configure({ 'ring.frames': 50 }))).code, grpc.status.FAILED_PRECONDITION);
  });

  it('base_dir cannot be moved at run time unless the config file allows it', async () => {
    const error = await grpcError(client.configure({ 'export.base_dir': '/tmp/elsewhere' }));
    assert.equal(error.code, grpc.status.FAILED_PRECONDITION);
    assert.match(error.details, /^export\.base_dir: set export\.allow_runtime_base_dir/);
    assert.equal((await grpcError(client.configure({ 'export.allow_runtime_base_dir': true }))).code, grpc.status.FAILED_PRECONDITION);
  });

  it('a base_dir deleted while running is made again by the next trigger', async () => {
    await rm(service.eventsDir, { recursive: true, force: true });
    const event = await client.trigger({ beforeS: 0.1, afterS: 0.1, wait: true });
    assert.equal(event.state, EventState.COMPLETE);
  });
});
