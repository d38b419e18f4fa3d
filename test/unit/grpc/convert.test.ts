import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '../../../src/core/config/load-config.js';
import { PicamError } from '../../../src/core/errors.js';
import { configToProto, configUpdates, eventFrameToProto } from '../../../src/grpc/convert.js';

describe('gRPC conversions', () => {
  it('a config reply leaves secrets out and says which are set', () => {
    const reply = configToProto(parseConfig({ network: { token: 's3cret' } }));
    assert.equal(reply.network?.tokenSet, true);
    assert.equal(reply.mqtt?.passwordSet, false);
    assert.ok(!JSON.stringify(reply, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)).includes('s3cret'));
  });

  it('a reply sent back with no mask updates everything but the secrets (read-modify-write)', () => {
    const config = parseConfig({ network: { token: 's3cret' }, night: { min_dark_frames: 7 } });
    const updates = configUpdates(configToProto(config), []);
    assert.equal(updates.get('night.min_dark_frames'), 7);
    assert.ok(!updates.has('network.token_set'));
    assert.ok(!updates.has('mqtt.password_set'));
    // An unset token is '' in the reply's JSON form; the secret itself is not in it at all.
    assert.notEqual(updates.get('network.token'), 's3cret');
  });

  it('naming an output-only flag in the mask is INVALID_ARGUMENT for that field', () => {
    assert.throws(
      () => configUpdates(configToProto(parseConfig({})), ['network.token_set']),
      (error: unknown) => error instanceof PicamError && error.code === 'INVALID_ARGUMENT' && error.field === 'network.token_set',
    );
  });

  it("an event.json frame maps to the proto's names, exposure and gain included", () => {
    const proto = eventFrameToProto({
      frame_id: 42,
      capture_time: '2026-12-01T00:00:01.500Z',
      capture_time_ms: Date.UTC(2026, 11, 1, 0, 0, 1, 500),
      monotonic_ms: 1,
      dark_score: 3.5,
      night: true,
      exposure_us: 20_000,
      gain: 4,
      files: ['a.jpg'],
    } as Parameters<typeof eventFrameToProto>[0]);
    assert.equal(proto.frameId, 42n);
    assert.equal(proto.exposureUs, 20_000);
    assert.equal(proto.gain, 4);
    assert.equal(proto.tier, 'raw');
    assert.deepEqual(proto.captureTime && { seconds: proto.captureTime.seconds, nanos: proto.captureTime.nanos }, { seconds: BigInt(Date.UTC(2026, 11, 1, 0, 0, 1) / 1000), nanos: 500_000_000 });
  });
});
