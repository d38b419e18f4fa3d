import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { fromBinary } from '@bufbuild/protobuf';
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import { BadRequestSchema } from '../../src/gen/google/rpc/error_details_pb.js';
import { StatusSchema } from '../../src/gen/google/rpc/status_pb.js';
import { PicamClient } from '../../clients/ts/src/index.js';
import { grpcError } from '../helpers/grpc-client.js';
import { startService, type Service } from '../helpers/service.js';
import { LineClient } from '../helpers/sockets.js';

const TOKEN = 'contract-secret';
const PASSWORD = 'broker-secret';

/** The field named by the google.rpc.BadRequest in an error's grpc-status-details-bin trailer. */
function badRequestField(error: grpc.ServiceError): string | undefined {
  const [details] = error.metadata.get('grpc-status-details-bin');
  if (!(details instanceof Buffer)) return undefined;
  const status = fromBinary(StatusSchema, details);
  const badRequest = status.details[0] && anyUnpack(status.details[0], BadRequestSchema);
  return badRequest?.fieldViolations[0]?.field;
}

/** A unary call with hand-built request bytes (fields the generated code has no name for). */
function rawUnary(address: string, path: string, body: Buffer): Promise<grpc.ServiceError | undefined> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${TOKEN}`);
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      path,
      (b: Buffer) => b,
      (b: Buffer) => b,
      body,
      metadata,
      { deadline: Date.now() + 20_000 },
      (error) => {
        client.close();
        resolve(error ?? undefined);
      },
    );
  });
}

describe('one error contract and a Configure reply that can be sent back', () => {
  let service: Service;
  let client: PicamClient;

  before(async () => {
    service = await startService({ network: { token: TOKEN }, mqtt: { username: 'cam', password: PASSWORD } }, { frames: 5 });
    client = new PicamClient(service.grpcAddress, { token: TOKEN });
  });

  after(async () => {
    client.close();
    assert.equal(await service.stop(), 0);
  });

  it('Configure replies leave secrets out and say they are set; the reply sent back as an update succeeds and keeps them', async () => {
    const reply = await client.raw.configure({ validateOnly: true });
    const config = reply.config!;
    assert.equal(config.network?.token, undefined, 'no token value, not even a placeholder');
    assert.equal(config.network?.tokenSet, true);
    assert.equal(config.mqtt?.password, undefined);
    assert.equal(config.mqtt?.passwordSet, true);
    // Read-modify-write: change one field, send everything else back as it came, and persist.
    config.night!.darkThreshold = 37;
    const written = await client.raw.configure({ config, persist: true });
    assert.equal(written.config?.night?.darkThreshold, 37);
    assert.equal(written.config?.network?.tokenSet, true);
    const file = JSON.parse(await readFile(service.configFile, 'utf8')) as { network: { token: string }; mqtt: { password: string } };
    assert.equal(file.network.token, TOKEN, 'the persisted token is the real one');
    assert.equal(file.mqtt.password, PASSWORD);
    // And the token still works (nothing replaced it).
    assert.equal((await client.raw.configure({ validateOnly: true })).config?.night?.darkThreshold, 37);
  });

  it('naming an output-only flag in update_mask is INVALID_ARGUMENT with the field in BadRequest', async () => {
    for (const path of ['network.token_set', 'mqtt.password_set']) {
      const error = await grpcError(client.raw.configure({ config: { network: { tokenSet: false } }, updateMask: { paths: [path] } }));
      assert.equal(error.code, grpc.status.INVALID_ARGUMENT, error.details);
      assert.match(error.details, new RegExp(`^${path}: output only`));
      assert.equal(badRequestField(error), path);
    }
  });

  it('a Configure field this server has no name for is refused and named, not dropped', async () => {
    // ConfigureRequest{config: Config{night: NightConfig{<field 99> = 1}}, validate_only: true}
    const night = Buffer.from([0x98, 0x06, 0x01]);
    const config = Buffer.concat([Buffer.from([0x1a, night.length]), night]);
    const request = Buffer.concat([Buffer.from([0x0a, config.length]), config, Buffer.from([0x18, 0x01])]);
    const error = await rawUnary(service.grpcAddress, '/picam.v1.CameraService/Configure', request);
    assert.ok(error, 'refused');
    assert.equal(error.code, grpc.status.INVALID_ARGUMENT, error.details);
    assert.equal(error.details, 'night.(field 99): unknown field');
    assert.equal(badRequestField(error), 'night.(field 99)');
  });

  it('an unknown key is refused and named alike over the line protocol, HTTP and HTTP queries', async () => {
    const line = await LineClient.connect(service.linePort);
    try {
      await line.command(`AUTH ${TOKEN}`);
      assert.match(await line.command('SNAP befor_s=1'), /^ERR BAD_ARGUMENT befor_s: unknown field; expected one of /);
      assert.match(await line.command('SNAP constructor=1'), /^ERR BAD_ARGUMENT constructor: unknown field/);
      assert.match(await line.command('SNAP stack=maybe'), /^ERR BAD_ARGUMENT stack: expected on or off, received "maybe"$/);
    } finally {
      line.destroy();
    }
    const auth = { Authorization: `Bearer ${TOKEN}` };
    const body = await fetch(`${service.httpUrl}/api/trigger`, { method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' }, body: '{"befor_s":1}' });
    assert.equal(body.status, 400);
    assert.deepEqual(await body.json(), { code: 'INVALID_ARGUMENT', error: 'befor_s: unknown field', field: 'befor_s' });
  });

  it('every INVALID_ARGUMENT that knows its field carries it as BadRequest', async () => {
    const pageSize = await grpcError(client.raw.listEvents({ pageSize: 5000 }));
    assert.equal(pageSize.code, grpc.status.INVALID_ARGUMENT);
    assert.equal(pageSize.details, 'page_size: expected integer <= 1000, received 5000');
    assert.equal(badRequestField(pageSize), 'page_size');
    const before = await grpcError(client.raw.trigger({ beforeS: -1 }));
    assert.equal(badRequestField(before), 'before_s');
    const path = await grpcError(client.raw.configure({ updateMask: { paths: ['night.colour'] } }));
    assert.equal(path.details, 'night.colour: unknown field');
    assert.equal(badRequestField(path), 'night.colour');
    const mask = await grpcError(client.raw.configure({ updateMask: { paths: ['nope'] } }));
    assert.equal(badRequestField(mask), 'update_mask');
  });

  it('GetEvent frames carry exposure and gain; frame rates say measured or requested', async () => {
    const accepted = await client.raw.trigger({ beforeS: 0.2, afterS: 0.1, wait: true, formats: ['jpg'] });
    const event = await client.raw.getEvent({ eventId: accepted.eventId });
    assert.ok(event.frames.length > 0);
    for (const frame of event.frames) {
      assert.ok(frame.exposureUs > 0, `frame ${frame.frameId}: exposure_us ${frame.exposureUs}`);
      assert.ok(frame.gain > 0, `frame ${frame.frameId}: gain ${frame.gain}`);
    }
    const night = await client.raw.getNightState({});
    assert.equal(night.requestedFramesPerSecond, 30, 'camera.framerate, asked of the source');
    // The deprecated name must keep its value.
    assert.equal(night.framesPerSecond, night.requestedFramesPerSecond);
    const status = await client.raw.getStatus({});
    assert.ok(status.source!.measuredFramesPerSecond > 0, 'measured while serving');
    // The deprecated name must keep its value.
    assert.equal(status.source!.framesPerSecond, status.source!.measuredFramesPerSecond);
    const json = (await (await fetch(`${service.httpUrl}/api/status`, { headers: { Authorization: `Bearer ${TOKEN}` } })).json()) as {
      source: Record<string, unknown>;
      night: Record<string, unknown>;
    };
    assert.equal(typeof json.source.measured_frames_per_second, 'number');
    assert.equal(json.night.requested_frames_per_second, 30);
  });
});
