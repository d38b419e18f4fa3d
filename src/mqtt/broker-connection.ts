import { connect, type IClientOptions } from 'mqtt';
import type { Logger } from '../core/index.js';
import { redactUrl } from './topics.js';

export interface BrokerSettings {
  url: string;
  username: string;
  password: string;
  qos: 0 | 1;
  reconnectMaxS: number;
  clientId: string;
  /** Retained `online` once subscribed; `offline` as the last will and on a clean close. */
  statusTopic: string;
  subscriptions: string[];
}

export interface BrokerHooks {
  /** After every (re)connect, once the subscriptions are granted and `online` is out. */
  ready(): void;
  /** `retained`: published with the retain flag (kept by the broker), whether replayed on subscribing or sent just now. */
  message(topic: string, payload: Buffer, retained: boolean): void;
}

export interface BrokerConnection {
  readonly connected: boolean;
  /** Fire and forget; dropped (and counted) while the broker is unreachable. */
  publish(topic: string, body: string | Buffer, retain?: boolean): void;
  /** Publishes `offline`, disconnects; gives up after `timeoutMs` and drops the socket. */
  close(timeoutMs: number): Promise<void>;
}

const FIRST_DELAY_MS = 1000;

/**
 * Wait before reconnect attempt `attempt` (0 = the first after a loss): 1 s
 * doubling up to `maxS`, ±20% so a fleet does not reconnect in step after a
 * broker restart, never above `maxS`.
 */
export function reconnectDelayMs(attempt: number, maxS: number, random: () => number = Math.random): number {
  const base = Math.min(FIRST_DELAY_MS * 2 ** Math.min(attempt, 30), maxS * 1000);
  return Math.round(Math.min(base * (0.8 + 0.4 * random()), maxS * 1000));
}

/**
 * One MQTT connection that keeps itself up in the background: the first
 * connect and every reconnect happen on mqtt.js's timer, so a missing broker
 * never delays start-up, capture or local triggers. mqtt.js retries at a
 * fixed `reconnectPeriod`; it reads the option afresh each time it schedules
 * an attempt, so the backoff is set just before each attempt ('reconnect').
 * Messages are not queued while the broker is away: events are on disk, and
 * an outage of days must not grow memory; the night state is re-sent on
 * reconnect.
 */
export function connectBroker(settings: BrokerSettings, hooks: BrokerHooks, logger: Logger): BrokerConnection {
  const where = { url: redactUrl(settings.url), client_id: settings.clientId };
  const options: IClientOptions = {
    clientId: settings.clientId,
    // MQTT 5 for "retain as published": under 3.1.1 a broker clears the retain flag on messages
    // sent to subscribers already there, so a retained trigger (or the empty message that
    // clears it) would look like a live one and fire.
    protocolVersion: 5,
    clean: true,
    keepalive: 30,
    connectTimeout: 10_000,
    reconnectPeriod: reconnectDelayMs(0, settings.reconnectMaxS),
    // A refused CONNACK (bad password, broker starting) is retried too: the broker may be fixed later.
    reconnectOnConnackError: true,
    // Subscribed afresh on every connect below; a clean session keeps none.
    resubscribe: false,
    queueQoSZero: false,
    will: { topic: settings.statusTopic, payload: Buffer.from('offline'), qos: settings.qos, retain: true },
    ...(settings.username === '' ? {} : { username: settings.username, password: settings.password }),
  };
  const client = connect(settings.url, options);
  let everConnected = false;
  let attempts = 0;
  let downSinceMs: number | undefined = Date.now();
  let lastError = '';
  let dropped = 0;
  let closing = false;

  client.on('connect', () => {
    // Nagle would hold `accepted` until the PUBACK just sent for the trigger is acknowledged
    // (~40 ms of delayed ACK): measured 47 ms -> 13 ms fleet latency. WebSocket streams lack it.
    (client.stream as unknown as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
    const downS = downSinceMs === undefined ? 0 : (Date.now() - downSinceMs) / 1000;
    if (everConnected) logger.info({ ...where, attempts, offline_s: round(downS), not_sent: dropped }, `mqtt: reconnected after ${round(downS)} s`);
    else logger.info(where, `mqtt: connected to ${where.url}`);
    everConnected = true;
    attempts = 0;
    downSinceMs = undefined;
    lastError = '';
    dropped = 0;
    client.options.reconnectPeriod = reconnectDelayMs(0, settings.reconnectMaxS);
    client.subscribe(settings.subscriptions, { qos: settings.qos, rap: true }, (error, granted) => {
      if (error) {
        // The connection dropped meanwhile; the next connect subscribes again.
        logger.debug({ err: error }, 'mqtt: subscribe failed');
        return;
      }
      // MQTT 5 reason codes: 0x80 and above refuse (0x87 not authorised, ...).
      const refused = (granted ?? []).filter((grant) => grant.qos >= 128).map((grant) => grant.topic);
      if (refused.length > 0) logger.error({ topics: refused }, `mqtt: broker refused the subscription to ${refused.join(', ')} (check its ACL)`);
      publish(settings.statusTopic, 'online', true);
      logger.info({ topics: settings.subscriptions }, 'mqtt: subscribed, online');
      hooks.ready();
    });
  });
  // Once per outage (mqtt.js emits it when it starts retrying), not per attempt.
  client.on('offline', () => {
    if (closing) return;
    downSinceMs ??= Date.now();
    const retryS = round((client.options.reconnectPeriod ?? FIRST_DELAY_MS) / 1000);
    const why = lastError || 'connection closed';
    if (everConnected) logger.warn({ ...where, error: why }, `mqtt: lost the broker (${why}); reconnecting in ${retryS} s, backing off to ${settings.reconnectMaxS} s`);
    else logger.warn({ ...where, error: why }, `mqtt: broker unreachable (${why}); retrying in the background every ${retryS} s up to ${settings.reconnectMaxS} s`);
  });
  client.on('reconnect', () => {
    attempts++;
    const nextMs = reconnectDelayMs(attempts, settings.reconnectMaxS);
    client.options.reconnectPeriod = nextMs;
    logger.debug({ attempt: attempts, next_retry_s: round(nextMs / 1000), last_error: lastError }, 'mqtt: reconnecting');
  });
  // Without a listener an 'error' event would throw; connection errors are reported by 'offline'.
  client.on('error', (error) => {
    lastError = error.message;
    logger.debug({ err: error }, 'mqtt: client error');
  });
  client.on('message', (topic, payload, packet) => hooks.message(topic, payload, packet.retain));

  function publish(topic: string, body: string | Buffer, retain = false): void {
    if (!client.connected || closing) {
      dropped++;
      return;
    }
    client.publish(topic, body, { qos: settings.qos, retain }, (error) => {
      if (error) logger.debug({ err: error, topic }, 'mqtt: publish failed');
    });
  }

  return {
    get connected() {
      return client.connected;
    },
    publish,
    async close(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      const wasConnected = client.connected;
      closing = true;
      let announced = false;
      if (wasConnected) {
        const sent = client.publishAsync(settings.statusTopic, 'offline', { qos: settings.qos, retain: true }).then(
          () => true,
          () => false,
        );
        announced = await within(sent, deadline - Date.now(), false);
      }
      // A clean DISCONNECT makes the broker drop the will, so it comes only after `offline` went out.
      const ended = await within(client.endAsync().then(() => true, () => false), deadline - Date.now(), false);
      if (!ended) await within(client.endAsync(true).then(() => true, () => false), 500, false);
      if (announced) logger.info(where, 'mqtt: published offline and disconnected');
      else logger.warn(where, wasConnected ? 'mqtt: broker did not confirm offline in time; its last will says offline' : 'mqtt: closed while the broker was unreachable');
    },
  };
}

/** `promise`, or `fallback` once `ms` have passed. */
async function within<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), Math.max(0, ms));
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
