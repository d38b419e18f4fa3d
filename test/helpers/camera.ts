import assert from 'node:assert/strict';
import { CameraService } from '../../src/gen/picam/v1/camera_pb.js';
import { createClient } from './grpc-client.js';
import { startService, type Service, type StartOptions } from './service.js';

/** The generated CameraService client, as the capture tests use it. */
export type Camera = ReturnType<typeof createClient<typeof CameraService extends { method: infer M } ? { [K in keyof M]: M[K] } : never>>;
export type Status = Awaited<ReturnType<Camera['getStatus']>>;

/** Runs `body` against a service started with `overrides`, then stops it (exit 0 expected). */
export async function withCamera(
  overrides: Record<string, Record<string, unknown>>,
  options: StartOptions,
  body: (camera: Camera, service: Service) => Promise<void>,
): Promise<void> {
  const service = await startService(overrides, options);
  const client = createClient(CameraService, service.grpcAddress) as unknown as Camera;
  try {
    await body(client, service);
  } finally {
    client.close();
    assert.equal(await service.stop(), 0);
  }
}

/** Polls GetStatus until `done` holds (frames arriving from a real process take a moment). */
export async function untilStatus(camera: Pick<Camera, 'getStatus'>, done: (s: Status) => boolean, timeoutMs = 20000): Promise<Status> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await camera.getStatus({});
    if (done(status)) return status;
    if (Date.now() > deadline) assert.fail(`condition not met; last status ${JSON.stringify(status, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
