import type { DescMessage, MessageInitShape, MessageShape } from '@bufbuild/protobuf';
import { create } from '@bufbuild/protobuf';
import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
import * as grpc from '@grpc/grpc-js';
import { serviceDefinition } from '../../../src/grpc/service-definition.js';

/** Largest message picam sends (a raw 4K frame); gRPC's default of 4 MB is below a raw 1080p frame. */
export const MAX_RECEIVE_BYTES = 64 * 1024 * 1024;

type Unary<M extends GenServiceMethods[string]> = (request: MessageInitShape<M['input']>, options?: { deadlineMs?: number }) => Promise<MessageShape<M['output']>>;
type Streaming<M extends GenServiceMethods[string]> = (request: MessageInitShape<M['input']>) => { stream: AsyncIterable<MessageShape<M['output']>>; cancel(): void };

export type PromiseClient<T extends GenServiceMethods> = {
  [K in keyof T]: T[K]['methodKind'] extends 'unary' ? Unary<T[K]> : Streaming<T[K]>;
} & { close(): void };

/**
 * A promise/async-iterator client for any service in the generated
 * descriptors, through the same derived service definition the server uses:
 * unary calls return promises (with a deadline), server streams are async
 * iterables with cancel(). Errors are grpc-js ServiceErrors with `code`.
 */
export interface ClientOptions {
  /** picam's network.token, sent as `authorization: Bearer <token>` on every call. */
  token?: string;
  /** Connect over TLS, trusting this PEM certificate (or the system's CAs when `true`). */
  tls?: Buffer | true;
}

export function createClient<T extends GenServiceMethods>(service: GenService<T>, address: string, options: ClientOptions = {}): PromiseClient<T> {
  const Constructor = grpc.makeGenericClientConstructor(serviceDefinition(service), service.typeName);
  const credentials =
    options.tls === undefined ? grpc.credentials.createInsecure() : grpc.credentials.createSsl(options.tls === true ? null : options.tls);
  const client = new Constructor(address, credentials, {
    'grpc.max_receive_message_length': MAX_RECEIVE_BYTES,
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 10_000,
  }) as unknown as Record<string, (...args: unknown[]) => unknown> & grpc.Client;
  const out: Record<string, unknown> = { close: () => client.close() };
  const metadata = (): grpc.Metadata => {
    const m = new grpc.Metadata();
    if (options.token) m.set('authorization', `Bearer ${options.token}`);
    return m;
  };
  for (const method of service.methods) {
    const call = client[method.localName]!.bind(client);
    if (method.methodKind === 'unary') {
      out[method.localName] = (request: MessageInitShape<DescMessage>, callOptions: { deadlineMs?: number } = {}) =>
        new Promise((resolve, reject) => {
          call(create(method.input, request), metadata(), { deadline: Date.now() + (callOptions.deadlineMs ?? 20000) }, (error: grpc.ServiceError | null, response: unknown) =>
            error ? reject(error) : resolve(response),
          );
        });
    } else {
      out[method.localName] = (request: MessageInitShape<DescMessage>) => {
        const stream = call(create(method.input, request), metadata()) as grpc.ClientReadableStream<unknown>;
        return { stream, cancel: () => stream.cancel() };
      };
    }
  }
  return out as PromiseClient<T>;
}
