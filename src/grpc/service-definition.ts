import { create, fromBinary, toBinary, type DescMessage, type MessageInitShape, type MessageShape } from '@bufbuild/protobuf';
import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
import * as grpc from '@grpc/grpc-js';
import { PicamError } from '../core/errors.js';
import type { DeliveryProbe } from '../core/index.js';
import { deliveryProbeFor } from './delivery-probe.js';
import { toServiceError } from './status.js';

/**
 * What a streaming handler gets: `send` resolves once HTTP/2 has taken the
 * message, so a slow client slows (and drops at) the producer instead of
 * growing memory or receiving old frames.
 */
export interface ServerStream<O extends DescMessage> {
  send(message: MessageInitShape<O>): Promise<void>;
  /** Aborted when the client cancels or disconnects. */
  signal: AbortSignal;
  metadata: grpc.Metadata;
  /** The client's address and port. */
  peer: string;
  /** Confirms the client has received what was sent (HTTP/2 PING); undefined if the session is out of reach. */
  probe: DeliveryProbe | undefined;
}

type Handler<M extends GenServiceMethods[string]> = M['methodKind'] extends 'unary'
  ? (request: MessageShape<M['input']>, metadata: grpc.Metadata) => Promise<MessageInitShape<M['output']>>
  : M['methodKind'] extends 'server_streaming'
    ? (request: MessageShape<M['input']>, stream: ServerStream<M['output']>) => Promise<void>
    : never;

export type ServiceHandlers<T extends GenServiceMethods> = { [K in keyof T]: Handler<T[K]> };

/**
 * Derives a grpc-js service definition from a protobuf-es service descriptor:
 * one generic adapter instead of per-method serializers or a second copy of
 * the schema. Works for servers and, via makeGenericClientConstructor, clients.
 */
export function serviceDefinition<T extends GenServiceMethods>(service: GenService<T>): grpc.ServiceDefinition {
  const definition: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const method of service.methods) {
    definition[method.localName] = {
      path: `/${service.typeName}/${method.name}`,
      originalName: method.name,
      requestStream: method.methodKind === 'client_streaming' || method.methodKind === 'bidi_streaming',
      responseStream: method.methodKind === 'server_streaming' || method.methodKind === 'bidi_streaming',
      requestSerialize: (message: unknown) => asBuffer(toBinary(method.input, message as MessageShape<DescMessage>)),
      requestDeserialize: (bytes: Buffer) => fromBinary(method.input, bytes),
      responseSerialize: (message: unknown) => asBuffer(toBinary(method.output, message as MessageShape<DescMessage>)),
      responseDeserialize: (bytes: Buffer) => fromBinary(method.output, bytes),
    };
  }
  return definition;
}

/** A Buffer view of the serialized bytes: Buffer.from(Uint8Array) would copy a 6 MB raw frame once more. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Wraps promise-returning handlers into grpc-js call handlers, mapping errors to status codes. */
export function serviceImplementation<T extends GenServiceMethods>(
  service: GenService<T>,
  handlers: ServiceHandlers<T>,
  onInternalError: (error: unknown, method: string) => void,
  /** Throws (e.g. UNAUTHENTICATED) to refuse a call before its handler runs. */
  authorize: (metadata: grpc.Metadata) => void = () => undefined,
): grpc.UntypedServiceImplementation {
  const implementation: grpc.UntypedServiceImplementation = {};
  const fail = (error: unknown, method: string): grpc.ServiceError => {
    const picamError = PicamError.from(error);
    if (picamError.code === 'INTERNAL') onInternalError(error, method);
    return toServiceError(picamError);
  };
  for (const method of service.methods) {
    const handler = handlers[method.localName as keyof T] as unknown as (...args: unknown[]) => Promise<unknown>;
    if (method.methodKind === 'unary') {
      implementation[method.localName] = (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        Promise.resolve()
          .then(() => authorize(call.metadata))
          .then(() => handler(call.request, call.metadata))
          .then(
          (response) => callback(null, create(method.output, response as MessageInitShape<DescMessage>)),
          (error: unknown) => callback(fail(error, method.name)),
        );
      };
    } else if (method.methodKind === 'server_streaming') {
      implementation[method.localName] = (call: grpc.ServerWritableStream<unknown, unknown>) => {
        const abort = new AbortController();
        const cancel = (): void => abort.abort();
        call.on('cancelled', cancel);
        call.on('close', cancel);
        const stream: ServerStream<DescMessage> = {
          signal: abort.signal,
          metadata: call.metadata,
          peer: call.getPeer(),
          probe: deliveryProbeFor(call),
          // Resolves on the write's callback, when HTTP/2 has taken the bytes (flow control
          // included), not on write()'s return value: grpc-js buffers 16 messages before that
          // turns false, which for raw 1080p frames is ~100 MB and seconds of stale frames for a
          // slow reader instead of the newest one.
          send: (message) =>
            new Promise<void>((resolve) => {
              if (abort.signal.aborted) return resolve();
              const done = (): void => {
                abort.signal.removeEventListener('abort', done);
                resolve();
              };
              abort.signal.addEventListener('abort', done);
              call.write(create(method.output, message), done);
            }),
        };
        Promise.resolve()
          .then(() => authorize(call.metadata))
          .then(() => handler(call.request, stream))
          .then(
          () => {
            if (!abort.signal.aborted) call.end();
          },
          (error: unknown) => {
            if (!abort.signal.aborted) call.emit('error', fail(error, method.name));
          },
        );
      };
    }
  }
  return implementation;
}
