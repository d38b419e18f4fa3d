import { cameraClient, type CameraClient } from '../test/helpers/grpc-client.js';
import { startService, type ConfigOverrides, type Service, type StartOptions } from '../test/helpers/service.js';
import { trackStop } from './cleanup.js';
import { sample, type ProcSample } from './proc.js';

/** A real picam process under measurement, with its pid and a gRPC client. */
export interface BenchService {
  service: Service;
  pid: number;
  camera: CameraClient;
  startupMs: number;
  sample(): Promise<ProcSample>;
  status(): Promise<CaptureCounters>;
  stop(): Promise<void>;
}

export interface CaptureCounters {
  captured: number;
  dropped: number;
  fps: number;
  atMs: number;
}

/**
 * Starts the service on loopback with the test defaults plus `overrides`.
 * The HTTP server is off: nothing measured here goes through it, and it
 * would only add an idle listener.
 */
export async function benchService(overrides: ConfigOverrides, options: StartOptions = {}): Promise<BenchService> {
  const started = performance.now();
  const network = { http_port: -1, max_triggers_per_s: 1000, ...(overrides.network ?? {}) };
  // Logging stays at info: the helper waits for the "listening" line and takes the pid from it.
  const service = await startService({ ...overrides, network }, options);
  const startupMs = performance.now() - started;
  const untrack = trackStop(() => service.stop());
  const pid = Number(service.logs.find((line) => typeof line.pid === 'number')?.pid);
  if (!Number.isInteger(pid)) {
    await service.stop();
    untrack();
    throw new Error('the service logged no pid: cannot read its CPU and RSS from /proc');
  }
  const camera = cameraClient(service.grpcAddress);
  return {
    service,
    pid,
    camera,
    startupMs,
    sample: () => sample(pid),
    async status() {
      const source = (await camera.getStatus({})).source;
      return { captured: Number(source?.framesCaptured ?? 0n), dropped: Number(source?.framesDropped ?? 0n), fps: source?.framesPerSecond ?? 0, atMs: performance.now() };
    },
    async stop() {
      camera.close();
      await service.stop();
      untrack();
    },
  };
}
