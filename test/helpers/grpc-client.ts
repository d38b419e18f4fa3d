import type * as grpc from '@grpc/grpc-js';
import { createClient, type PromiseClient } from '../../clients/ts/src/promise-client.js';
import { CameraService } from '../../src/gen/picam/v1/camera_pb.js';

export { createClient, type PromiseClient };

/** The promise client of picam's CameraService. */
export type CameraClient = PromiseClient<typeof CameraService extends { method: infer M } ? { [K in keyof M]: M[K] } : never>;

export function cameraClient(address: string): CameraClient {
  return createClient(CameraService, address);
}

/** The gRPC error a call fails with; fails the test if the call succeeds. */
export async function grpcError(promise: Promise<unknown>): Promise<grpc.ServiceError> {
  try {
    await promise;
  } catch (error) {
    return error as grpc.ServiceError;
  }
  throw new Error('expected the call to fail, it succeeded');
}
