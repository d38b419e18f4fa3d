import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { access } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { startService, type Service } from '../helpers/service.js';

const run = promisify(execFile);

/** grpcurl from PATH or Go's bin folder; CI installs it. Missing is a failure, not a skip. */
async function grpcurlPath(): Promise<string> {
  const candidates = [...(process.env.PATH ?? '').split(path.delimiter), path.join(process.env.GOPATH ?? path.join(homedir(), 'go'), 'bin')];
  for (const dir of candidates) {
    const file = path.join(dir, 'grpcurl');
    try {
      await access(file);
      return file;
    } catch {
      // next
    }
  }
  throw new Error('grpcurl not found: go install github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.4');
}

describe('grpcurl with reflection only (no .proto at hand)', () => {
  let service: Service;
  let grpcurl: string;
  const call = async (...args: string[]): Promise<string> => (await run(grpcurl, ['-plaintext', ...args])).stdout;

  before(async () => {
    grpcurl = await grpcurlPath();
    service = await startService();
  });

  after(async () => {
    assert.equal(await service.stop(), 0);
  });

  it('lists our service, health and reflection', async () => {
    const services = (await call(service.grpcAddress, 'list')).trim().split('\n').sort();
    assert.deepEqual(services, [
      'grpc.health.v1.Health',
      'grpc.reflection.v1.ServerReflection',
      'grpc.reflection.v1alpha.ServerReflection',
      'picam.v1.CameraService',
    ]);
    const described = await call(service.grpcAddress, 'describe', 'picam.v1.CameraService');
    for (const rpc of ['Trigger', 'StreamFrames', 'GetNightState', 'Configure', 'GetStatus', 'WatchEvents', 'ListEvents', 'GetEvent', 'DeleteEvent']) {
      assert.match(described, new RegExp(`rpc ${rpc} \\(`));
    }
  });

  it('calls Trigger, GetNightState and the health check', async () => {
    const trigger = JSON.parse(await call('-d', '{}', service.grpcAddress, 'picam.v1.CameraService/Trigger')) as { eventId: string; dir: string };
    assert.match(trigger.eventId, /^\d{8}T\d{9}Z-[0-9a-f]{6}$/);
    const night = JSON.parse(await call('-d', '{}', service.grpcAddress, 'picam.v1.CameraService/GetNightState')) as { darkThreshold: number };
    assert.equal(night.darkThreshold, 40);
    const health = JSON.parse(await call(service.grpcAddress, 'grpc.health.v1.Health/Check')) as { status: string };
    assert.equal(health.status, 'SERVING');
  });

  it('streams frame metadata: StreamFrames with maxFps 2', async () => {
    const output = await call('-max-time', '2.5', '-d', '{"encoding":"ENCODING_METADATA_ONLY","maxFps":2}', service.grpcAddress, 'picam.v1.CameraService/StreamFrames').catch(
      (error: { stdout?: string }) => error.stdout ?? '', // -max-time ends the stream with DeadlineExceeded
    );
    const frames = output.match(/"frameId":/g) ?? [];
    assert.ok(frames.length >= 3 && frames.length <= 7, `${frames.length} frames in 2.5 s at maxFps 2:\n${output}`);
    assert.match(output, /"encoding": "ENCODING_METADATA_ONLY"/);
  });

  it('shows INVALID_ARGUMENT with the field', async () => {
    await assert.rejects(call('-d', '{"after_s": -3}', service.grpcAddress, 'picam.v1.CameraService/Trigger'), (error: { stdout?: string; stderr?: string }) => {
      const text = `${error.stdout ?? ''}${error.stderr ?? ''}`;
      return /InvalidArgument/.test(text) && /after_s: expected number >= 0, received -3/.test(text);
    });
  });
});
