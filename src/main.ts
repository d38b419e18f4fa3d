import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, createLogger, loadConfig, Picam, PicamError } from './core/index.js';
import { startGrpcServer } from './grpc/grpc-server.js';
import { startHttpServer } from './http/http-server.js';
import { startLineServer } from './line/line-server.js';
import { startMqttBridge } from './mqtt/index.js';
import { VERSION } from './version.js';

const USAGE = `picam ${VERSION}: camera ring buffer with night mode and save-on-trigger

usage: picam [--config PATH] [--version] [--help]
  --config PATH   config file (default: ./config.json; defaults apply if it is absent)`;

/** Exit codes: 0 clean stop, 1 failed at run time, 2 bad command line or config. */
async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({ options: { config: { type: 'string' }, version: { type: 'boolean' }, help: { type: 'boolean' } } });
  } catch (error) {
    process.stderr.write(`picam: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (args.values.version) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  if (args.values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  // Installed before anything starts: a SIGTERM during start-up is honoured once start-up is done, never fatal.
  const signalled = nextSignal();
  const configPath = args.values.config ?? 'config.json';
  let loaded;
  try {
    loaded = await loadConfig(configPath, args.values.config !== undefined);
  } catch (error) {
    process.stderr.write(`picam: ${(error as Error).message}\n`);
    return error instanceof ConfigError || error instanceof PicamError ? 2 : 1;
  }
  const { config } = loaded;
  const logger = createLogger(config.logging.level);
  logger.info({ version: VERSION, config: loaded.file ?? '(defaults)' }, 'picam starting');
  // PICAM_DEV_ROOT / PICAM_SYS_ROOT: where `auto` looks for cameras and the board model (tests give a fake tree).
  const hostRoots = { dev: process.env.PICAM_DEV_ROOT ?? '/dev', sys: process.env.PICAM_SYS_ROOT ?? '/sys' };
  // PICAM_ROW_ALIGN (64, 128, 1 = unpadded): rpicam-vid's I420 row alignment, for a board the model table does not know.
  const rowAlign = Number(process.env.PICAM_ROW_ALIGN ?? 0) || 0;
  // PICAM_CLOCK=frames: time counted in synthetic frames (core/clock.ts), so a second is exactly framerate frames; for tests.
  const clock = process.env.PICAM_CLOCK === 'frames' ? 'frames' : 'system';
  let core: Picam;
  try {
    core = await Picam.create({ config, configFile: loaded.file ?? path.resolve(configPath), version: VERSION, logger, hostRoots, rowAlign, clock });
  } catch (error) {
    // A configuration the machine cannot run (ring too large, codec the source lacks) is a config error.
    if (error instanceof PicamError && error.field !== undefined) {
      logger.fatal({ field: error.field }, error.message);
      process.stderr.write(`picam: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const { host } = config.network;
  let tls: { cert: Buffer; key: Buffer } | undefined;
  if (config.network.tls_cert !== '') {
    const folder = path.dirname(loaded.file ?? path.resolve(configPath));
    try {
      tls = {
        cert: await readFile(path.resolve(folder, config.network.tls_cert)),
        key: await readFile(path.resolve(folder, config.network.tls_key)),
      };
    } catch (error) {
      process.stderr.write(`picam: network.tls_cert/tls_key: cannot read: ${(error as Error).message}\n`);
      await core.stop();
      return 2;
    }
  }
  const grpcServer = await startGrpcServer(core, host, config.network.grpc_port, logger, { token: config.network.token, tls });
  const lineServer = await startLineServer(core, host, config.network.port, config.network, logger);
  // Returns at once: the broker is reached in the background, so a missing one never delays start-up.
  const mqttBridge = config.mqtt.enabled ? await startMqttBridge(core, config.mqtt, logger) : undefined;
  const httpServer =
    config.network.http_port < 0
      ? undefined
      : await startHttpServer(core, host, config.network.http_port, logger, {
          token: config.network.token,
          guard: { bindHost: host, allowedHosts: config.network.allowed_hosts },
          lineConnections: () => lineServer.connections(),
          lineAccepted: () => lineServer.accepted(),
        });
  logger.info(
    {
      host,
      grpc_port: grpcServer.port,
      line_port: lineServer.port,
      http_port: httpServer?.port ?? 'off',
      token: config.network.token === '' ? 'off' : 'required',
      grpc_tls: tls !== undefined,
    },
    `listening: gRPC on ${host}:${grpcServer.port}, line protocol on ${host}:${lineServer.port}` +
      (httpServer ? `, HTTP (metrics, live page) on ${host}:${httpServer.port}` : ''),
  );
  const signal = await signalled;
  logger.info({ signal }, 'shutting down');
  try {
    await httpServer?.close();
    await lineServer.close();
    await core.stop();
    // After core.stop, so events finishing in the grace period are announced; bounded, so a gone broker cannot hold shutdown.
    await mqttBridge?.close();
    await grpcServer.shutdown();
  } catch (error) {
    logger.error({ err: error }, 'shutdown failed');
    return 1;
  }
  logger.info('stopped');
  return 0;
}

/** SIGTERM/SIGINT: stop accepting, let exports finish within the grace period, exit 0. Later signals are ignored while stopping. */
function nextSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    process.on('SIGTERM', resolve);
    process.on('SIGINT', resolve);
  });
}

main().then(
  (code) => {
    process.exitCode = code;
    // gRPC and timers are closed; leave no stragglers keeping the process alive.
    setTimeout(() => process.exit(code), 500).unref();
  },
  (error: unknown) => {
    process.stderr.write(`picam: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
