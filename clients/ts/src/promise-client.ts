import type { DescMessage, MessageInitShape, MessageShape } from '@bufbuild/protobuf';
import { create } from '@bufbuild/protobuf';
import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
import * as grpc from '@grpc/grpc-js';
import { PicamAbortError, toClientError } from './client-error.js';
import { serviceDefinition } from './service-definition.js';

/** Largest message picam sends (a raw 4K frame); gRPC's default of 4 MB is below a raw 1080p frame. */
export const MAX_RECEIVE_BYTES = 64 * 1024 * 1024;

/** Unary calls fail with DEADLINE_EXCEEDED after this long unless the call says otherwise. */
export const DEFAULT_DEADLINE_MS = 20_000;

/** Per-call options, taken by every method. */
export interface CallOptions {
  /** Aborting cancels the call; it then rejects (or its stream throws) with a PicamAbortError. */
  signal?: AbortSignal | undefined;
  /** Unary calls: milliseconds until DEADLINE_EXCEEDED (default 20 s); streams: none unless set. */
  deadlineMs?: number | undefined;
}

type Unary<M extends GenServiceMethods[string]> = (request: MessageInitShape<M['input']>, options?: CallOptions) => Promise<MessageShape<M['output']>>;
type Streaming<M extends GenServiceMethods[string]> = (request: MessageInitShape<M['input']>, options?: CallOptions) => ServerStream<MessageShape<M['output']>>;

/** A server stream: iterate `stream` once; `cancel()` (or the call's signal) ends the call, breaking out of the loop does not. */
export interface ServerStream<T> {
  stream: AsyncIterable<T>;
  cancel(): void;
}

export type PromiseClient<T extends GenServiceMethods> = {
  [K in keyof T]: T[K]['methodKind'] extends 'unary' ? Unary<T[K]> : Streaming<T[K]>;
} & { close(): void };

export interface ClientOptions {
  /** picam's network.token, sent as `authorization: Bearer <token>` on every call. */
  token?: string;
  /** Connect over TLS, trusting this PEM certificate (or the system's CAs when `true`). */
  tls?: Buffer | true;
}

/**
 * A promise/async-iterator client for any service in the generated
 * descriptors: unary calls return promises (with a deadline), server streams
 * are async iterables with cancel(). Every failure is a PicamClientError
 * (`code`, `field`); an aborted call a PicamAbortError.
 */
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
      out[method.localName] = (request: MessageInitShape<DescMessage>, callOptions: CallOptions = {}) =>
        new Promise((resolve, reject) => {
          const { signal } = callOptions;
          if (signal?.aborted) return reject(new PicamAbortError(signal.reason));
          const deadline = Date.now() + (callOptions.deadlineMs ?? DEFAULT_DEADLINE_MS);
          const onAbort = (): void => unary.cancel();
          const unary = call(create(method.input, request), metadata(), { deadline }, (error: grpc.ServiceError | null, response: unknown) => {
            signal?.removeEventListener('abort', onAbort);
            if (error) reject(toClientError(error, signal));
            else resolve(response);
          }) as grpc.ClientUnaryCall;
          signal?.addEventListener('abort', onAbort, { once: true });
        });
    } else if (method.methodKind === 'server_streaming') {
      out[method.localName] = (request: MessageInitShape<DescMessage>, callOptions: CallOptions = {}): ServerStream<unknown> => {
        const { signal } = callOptions;
        const grpcOptions: grpc.CallOptions = callOptions.deadlineMs === undefined ? {} : { deadline: Date.now() + callOptions.deadlineMs };
        const raw = call(create(method.input, request), metadata(), grpcOptions) as grpc.ClientReadableStream<unknown>;
        // The iterator below sees every error; this listener only keeps a stream that is
        // cancelled before anyone iterates it from throwing an unhandled 'error' event.
        raw.on('error', () => undefined);
        const onAbort = (): void => raw.cancel();
        if (signal?.aborted) raw.cancel();
        else signal?.addEventListener('abort', onAbort, { once: true });
        raw.on('status', () => signal?.removeEventListener('abort', onAbort));
        // `stream` stays grpc-js's readable (pause, events, metadata) but iterates with typed errors.
        const iterate = raw[Symbol.asyncIterator].bind(raw);
        Object.defineProperty(raw, Symbol.asyncIterator, { value: () => typedErrors({ [Symbol.asyncIterator]: iterate }, signal) });
        return { stream: raw as AsyncIterable<unknown>, cancel: () => raw.cancel() };
      };
    }
  }
  return out as PromiseClient<T>;
}

/**
 * The stream's messages, and its failure as a PicamClientError. Leaving the
 * loop early does not cancel the call (as with grpc-js): cancel() does.
 */
async function* typedErrors<T>(messages: AsyncIterable<T>, signal: AbortSignal | undefined): AsyncGenerator<T> {
  try {
    for await (const message of messages) yield message;
  } catch (error) {
    throw toClientError(error, signal);
  }
}
