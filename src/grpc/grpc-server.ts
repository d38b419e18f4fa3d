import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { PicamError, tokenMatches, type Logger, type Picam } from '../core/index.js';
import { CameraService } from '../gen/picam/v1/camera_pb.js';
import { cameraHandlers } from './camera-service.js';
import { addReflection } from './reflection.js';
import { serviceDefinition, serviceImplementation } from './service-definition.js';

/**
 * Largest message the server sends. A raw 1080p RGB frame is ~6.2 MB, over
 * gRPC's 4 MB default; 64 MB covers raw frames up to 4K. Clients receiving
 * ENCODING_RAW must raise their `grpc.max_receive_message_length` to match.
 */
export const MAX_SEND_BYTES = 64 * 1024 * 1024;
/** Requests are small; anything bigger than this is not ours. */
const MAX_RECEIVE_BYTES = 1024 * 1024;

export interface GrpcServer {
  port: number;
  shutdown(): Promise<void>;
}

export interface GrpcSecurity {
  /** network.token; empty = off. */
  token: string;
  /** PEM certificate chain and key for TLS; undefined = plaintext. */
  tls?: { cert: Buffer; key: Buffer } | undefined;
}

export async function startGrpcServer(core: Picam, host: string, port: number, logger: Logger, security: GrpcSecurity = { token: '' }): Promise<GrpcServer> {
  const { token } = security;
  const server = new grpc.Server({
    'grpc.max_send_message_length': MAX_SEND_BYTES,
    'grpc.max_receive_message_length': MAX_RECEIVE_BYTES,
    'grpc.keepalive_time_ms': 60_000,
    'grpc.keepalive_timeout_ms': 20_000,
  });
  server.addService(
    serviceDefinition(CameraService),
    serviceImplementation(
      CameraService,
      cameraHandlers(core, MAX_SEND_BYTES),
      (error, method) => logger.error({ err: error, method }, 'internal error in gRPC handler'),
      (metadata) => {
        const header = metadata.get('authorization')[0];
        const presented = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7) : undefined;
        if (!tokenMatches(token, presented)) throw new PicamError('UNAUTHENTICATED', 'send metadata "authorization: Bearer <network.token>"');
      },
    ),
  );
  const health = new HealthImplementation({ '': 'NOT_SERVING', [CameraService.typeName]: 'NOT_SERVING' });
  const setHealth = (serving: boolean): void => {
    const status = serving ? 'SERVING' : 'NOT_SERVING';
    health.setStatus('', status);
    health.setStatus(CameraService.typeName, status);
  };
  setHealth(core.isServing);
  core.onServingChange(setHealth);
  health.addToServer(server);
  addReflection(server);
  const bound = await new Promise<number>((resolve, reject) => {
    const credentials = security.tls
      ? grpc.ServerCredentials.createSsl(null, [{ cert_chain: security.tls.cert, private_key: security.tls.key }], false)
      : grpc.ServerCredentials.createInsecure();
    server.bindAsync(`${host.includes(':') ? `[${host}]` : host}:${port}`, credentials, (error, actual) =>
      error ? reject(error) : resolve(actual),
    );
  });
  return {
    port: bound,
    shutdown: () =>
      new Promise<void>((resolve) => {
        setHealth(false);
        // Streams (StreamFrames, WatchEvents) never end by themselves: give
        // unary calls a moment, then cut what is left.
        const force = setTimeout(() => server.forceShutdown(), 1000);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}
