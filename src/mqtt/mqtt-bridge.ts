import { randomBytes } from 'node:crypto';
import { description, eachEvent, invalidField, PicamError, type Config, type EventProgress, type Logger, type Picam } from '../core/index.js';
import { connectBroker } from './broker-connection.js';
import { HomeAssistantDiscovery } from './home-assistant.js';
import { acceptedMessage, finishedMessage, nightStateMessage, nightTransitionMessage, rejectedMessage } from './messages.js';
import { redactUrl, topicsFor, type Topics } from './topics.js';
import { parseTriggerPayload, type RequestId } from './trigger-payload.js';

export interface MqttBridge {
  readonly topics: Topics;
  readonly connected: boolean;
  /** Publishes `offline` and disconnects; never waits past a few seconds. */
  close(): Promise<void>;
}

/** How long close() waits for the broker to take `offline`. */
const DISCONNECT_MS = 2000;

/**
 * The MQTT adapter: trigger messages become core triggers (source `mqtt`,
 * the same path as SNAP and gRPC), and the core's event progress and night
 * transitions become messages. Returns at once; the broker is reached in
 * the background and may come and go without the core noticing.
 */
export async function startMqttBridge(core: Picam, config: Config['mqtt'], logger: Logger): Promise<MqttBridge> {
  if (!URL.canParse(config.url)) {
    // The schema checks only the scheme; mqtt.js would throw a bare "Invalid URL" from deep inside.
    throw invalidField('mqtt.url', 'a URL such as mqtt://broker:1883', redactUrl(config.url));
  }
  const topics = topicsFor(config.topic_prefix, config.camera_id);
  const { cameraId } = topics;
  if (cameraId === 'all') logger.warn('mqtt.camera_id "all" is the fleet topic: this camera cannot be triggered alone');
  /** Events this bridge triggered: their messages carry the caller's request id. */
  const own = new Map<string, RequestId | undefined>();
  const send = (topic: string, message: object, retain = false): void => connection.publish(topic, JSON.stringify(message), retain);

  const connection = connectBroker(
    {
      url: config.url,
      username: config.username,
      password: config.password,
      qos: config.qos,
      reconnectMaxS: config.reconnect_max_s,
      clientId: `picam-${cameraId}-${randomBytes(3).toString('hex')}`,
      statusTopic: topics.status,
      subscriptions: [topics.trigger, topics.fleetTrigger],
    },
    {
      ready: () => {
        send(topics.night, nightStateMessage(cameraId, core.nightState(), Date.now()), true);
        homeAssistant.ready();
      },
      message: (topic, payload, retained) => void onTrigger(topic, payload, retained),
    },
    logger,
  );
  const homeAssistant = new HomeAssistantDiscovery(core, topics, config.qos, (topic, body, retain) => connection.publish(topic, body, retain), () => connection.connected, logger);

  const stopEvents = new AbortController();
  const relayed = eachEvent(
    core.events(stopEvents.signal),
    (event) => {
      if (event.kind === 'night') send(topics.night, nightTransitionMessage(cameraId, event.transition, event.fps), true);
      else if (event.progress.state === 'pending') announce(event.progress);
      else finish(event.progress);
    },
    (error) => logger.error({ err: error }, 'mqtt: cannot relay a core event'),
  );

  async function onTrigger(topic: string, payload: Buffer, retained: boolean): Promise<void> {
    if (retained) {
      // Clearing a retained trigger (an empty retained message) is housekeeping, not a trigger.
      if (payload.length === 0) {
        logger.info({ topic }, 'mqtt: empty retained message on the trigger topic (a retained trigger cleared); ignored');
        return;
      }
      // A retained trigger would fire again on every reconnect of every camera.
      reject(invalidField('retain', 'a trigger published without retain', description('a retained one; ignored')), undefined, topic);
      return;
    }
    const parsed = parseTriggerPayload(payload);
    if (!parsed.ok) {
      reject(parsed.error, parsed.requestId, topic);
      return;
    }
    const { request, requestId } = parsed;
    try {
      const accepted = await core.trigger({ ...request, source: 'mqtt' });
      own.set(accepted.eventId, requestId);
      logger.info({ topic, event_id: accepted.eventId, request_id: requestId }, 'mqtt: trigger accepted');
      const info = { ...accepted, source: 'mqtt', reason: request.reason ?? '', label: request.label ?? '', requestId };
      send(topics.events, acceptedMessage(cameraId, info));
    } catch (error) {
      reject(PicamError.from(error), requestId, topic);
    }
  }

  function reject(error: PicamError, requestId: RequestId | undefined, topic: string): void {
    const log = error.code === 'INTERNAL' ? logger.error.bind(logger) : logger.info.bind(logger);
    log({ topic, field: error.field, request_id: requestId, code: error.code }, `mqtt: trigger rejected: ${error.message}`);
    send(topics.events, rejectedMessage(cameraId, error, requestId, topic));
  }

  /** Events from the other adapters (SNAP, gRPC, HTTP): an MQTT trigger is announced by onTrigger, with its request id. */
  function announce(progress: EventProgress): void {
    const { source, reason, timeMs } = progress.trigger;
    if (source === 'mqtt') return;
    send(topics.events, acceptedMessage(cameraId, { eventId: progress.eventId, dir: progress.dir, triggerMs: timeMs, source, reason }));
  }

  function finish(progress: EventProgress): void {
    const requestId = own.get(progress.eventId);
    own.delete(progress.eventId);
    const message = finishedMessage(cameraId, progress, progress.manifest, requestId);
    send(topics.events, message);
    homeAssistant.finished(message);
  }

  return {
    topics,
    get connected() {
      return connection.connected;
    },
    async close() {
      stopEvents.abort();
      await relayed;
      homeAssistant.close();
      await connection.close(DISCONNECT_MS);
    },
  };
}

