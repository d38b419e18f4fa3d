import type { DescMessage, MessageInitShape, MessageShape } from '@bufbuild/protobuf';
import { create } from '@bufbuild/protobuf';
import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
import * as grpc from '@grpc/grpc-js';
import { serviceDefinition } from '../../src/grpc/service-definition.js';

type Unary<M extends GenServiceMethods[string]> = (request: MessageInitShape<M['input']>, options?: { deadlineMs?: number }) => Promise<MessageShape<M['output']>>;
type Streaming<M extends GenServiceMethods[string]> = (request: MessageInitShape<M['input']>) => { stream: AsyncIterable<MessageShape<M['output']>>; cancel(): void };

export type PromiseClient<T extends GenServiceMethods> = {
  [K in keyof T]: T[K]['methodKind'] extends 'unary' ? Unary<T[K]> : Streaming<T[K]>;
} & { close(): void };

/**
 * A promise/async-iterator client over the generated descriptors, through the
 * same derived service definition the server uses.
 */
export function createClient<T extends GenServiceMethods>(service: GenService<T>, address: string): PromiseClient<T> {
  const Constructor = grpc.makeGenericClientConstructor(serviceDefinition(service), service.typeName);
  const client = new Constructor(address, grpc.credentials.createInsecure(), {
    'grpc.max_receive_message_length': 64 * 1024 * 1024,
  }) as unknown as Record<string, (...args: unknown[]) => unknown> & grpc.Client;
  const out: Record<string, unknown> = { close: () => client.close() };
  for (const method of service.methods) {
    const call = client[method.localName]!.bind(client);
    if (method.methodKind === 'unary') {
      out[method.localName] = (request: MessageInitShape<DescMessage>, options: { deadlineMs?: number } = {}) =>
        new Promise((resolve, reject) => {
          call(create(method.input, request), { deadline: Date.now() + (options.deadlineMs ?? 20000) }, (error: grpc.ServiceError | null, response: unknown) =>
            error ? reject(error) : resolve(response),
          );
        });
    } else {
      out[method.localName] = (request: MessageInitShape<DescMessage>) => {
        const stream = call(create(method.input, request)) as grpc.ClientReadableStream<unknown>;
        return { stream, cancel: () => stream.cancel() };
      };
    }
  }
  return out as PromiseClient<T>;
}

import { CameraService } from '../../src/gen/picam/v1/camera_pb.js';

/** The promise client of picam's CameraService. */
export type CameraClient = PromiseClient<typeof CameraService extends { method: infer M } ? { [K in keyof M]: M[K] } : never>;

export function cameraClient(address: string): CameraClient {
  return createClient(CameraService, address) as unknown as CameraClient;
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
