import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect, type MqttClient } from 'mqtt';

// A real Mosquitto and a recording test client, for the MQTT tests.

/** Debian's mosquitto lives in /usr/sbin, often not on a user's PATH. */
export function mosquittoBinary(): string {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/usr/local/sbin'];
  const found = dirs.map((dir) => path.join(dir, 'mosquitto')).find((file) => existsSync(file));
  if (found === undefined) throw new Error('mosquitto is required for the MQTT tests (apt-get install mosquitto); it is never skipped');
  return found;
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface Broker {
  port: number;
  url: string;
  stop(): Promise<void>;
}

/** A real Mosquitto on a loopback port, anonymous, no persistence: a restart forgets retained messages. */
export async function startBroker(port?: number): Promise<Broker> {
  const chosen = port ?? (await freePort());
  const dir = await mkdtemp(path.join(tmpdir(), 'picam-mosquitto-'));
  const conf = path.join(dir, 'mosquitto.conf');
  await writeFile(conf, `listener ${chosen} 127.0.0.1\nallow_anonymous true\n`);
  const child: ChildProcess = spawn(mosquittoBinary(), ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`mosquitto exited (${child.exitCode}): ${stderr}`);
    const accepting = await new Promise<boolean>((resolve) => {
      const socket = net.connect(chosen, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (accepting) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`mosquitto did not listen on ${chosen}: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    port: chosen,
    url: `mqtt://127.0.0.1:${chosen}`,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface Received {
  topic: string;
  payload: Buffer;
  text: string;
  retain: boolean;
  atMs: number;
  json: Record<string, unknown> | undefined;
}

/** A test-side MQTT client that records everything under a filter and waits for messages. */
export class Watcher {
  readonly messages: Received[] = [];
  private readonly wakers = new Set<() => void>();
  private subscribed = false;

  private constructor(private readonly client: MqttClient, filter: string | undefined) {
    client.on('connect', () => {
      // Like the cameras: without it Nagle holds a publish that follows a PUBACK for ~40 ms (delayed ACK).
      (client.stream as unknown as net.Socket).setNoDelay(true);
      this.subscribed = filter === undefined;
      if (filter === undefined) this.wake();
      else {
        client.subscribe(filter, { qos: 1 }, (error) => {
          this.subscribed = error === null;
          this.wake();
        });
      }
    });
    client.on('message', (topic, payload, packet) => {
      const text = payload.toString('utf8');
      let json: Record<string, unknown> | undefined;
      try {
        const parsed: unknown = JSON.parse(text);
        if (parsed !== null && typeof parsed === 'object') json = parsed as Record<string, unknown>;
      } catch {
        json = undefined;
      }
      this.messages.push({ topic, payload, text, retain: packet.retain, atMs: performance.now(), json });
      this.wake();
    });
    client.on('error', () => undefined);
  }

  /** `filter` undefined: a publisher only. */
  static async connect(url: string, filter: string | undefined = 'picam/#'): Promise<Watcher> {
    const watcher = new Watcher(connect(url, { reconnectPeriod: 200, connectTimeout: 5000 }), filter);
    await watcher.ready();
    return watcher;
  }

  /** Connected and subscribed (again, after a broker restart). */
  async ready(timeoutMs = 15000): Promise<void> {
    await this.until(() => this.client.connected && this.subscribed, timeoutMs, 'the test client to subscribe');
  }

  /** Index to pass as `from` so that only later messages count. */
  mark(): number {
    return this.messages.length;
  }

  async waitFor(what: string, match: (m: Received) => boolean, from = 0, timeoutMs = 15000): Promise<Received> {
    let found: Received | undefined;
    await this.until(() => (found = this.messages.slice(from).find(match)) !== undefined, timeoutMs, what);
    return found!;
  }

  async publish(topic: string, payload: string, retain = false): Promise<number> {
    const sentAt = performance.now();
    await this.client.publishAsync(topic, payload, { qos: 1, retain });
    return sentAt;
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }

  private wake(): void {
    for (const wake of this.wakers) wake();
  }

  private until(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!done()) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for ${what}; last messages: ${JSON.stringify(this.messages.slice(-4).map((m) => `${m.topic} ${m.text}`))}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.wakers.delete(check);
      };
      this.wakers.add(check);
      check();
    });
  }
}

