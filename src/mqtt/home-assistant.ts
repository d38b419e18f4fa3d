import type { Config, Logger, Picam } from '../core/index.js';
import { discoveryConfigs } from './discovery-configs.js';
import type { FinishedMessage } from './messages.js';
import type { Topics } from './topics.js';

/** Snapshots wider than this are scaled down: a dashboard tile, not an export. */
const SNAPSHOT_WIDTH = 1280;
const SNAPSHOT_QUALITY = 80;

type Publish = (topic: string, body: string | Buffer, retain: boolean) => void;

interface Settings {
  discovery: boolean;
  prefix: string;
  snapshotS: number;
  stateS: number;
}

function settingsOf(mqtt: Config['mqtt']): Settings {
  return { discovery: mqtt.discovery, prefix: mqtt.discovery_prefix, snapshotS: mqtt.snapshot_interval_s, stateS: mqtt.state_interval_s };
}

/**
 * Home Assistant MQTT discovery for one camera: the retained configs (see
 * discovery-configs.ts) on every (re)connect, a retained state message and
 * JPEG snapshot at their intervals, and the last finished event. Turned off
 * (at start or by Configure) it publishes empty retained messages on every
 * topic it would use, which is how Home Assistant removes entities; the
 * topics follow from the camera id and prefix, so nothing needs remembering
 * across restarts.
 */
export class HomeAssistantDiscovery {
  private settings: Settings;
  private stateTimer: NodeJS.Timeout | undefined;
  private snapshotTimer: NodeJS.Timeout | undefined;
  private snapshotting = false;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly core: Picam,
    private readonly topics: Topics,
    private readonly qos: 0 | 1,
    private readonly publish: Publish,
    private readonly connected: () => boolean,
    private readonly logger: Logger,
  ) {
    this.settings = settingsOf(core.currentConfig().mqtt);
    this.unsubscribe = core.onConfigChange((config) => this.reconfigure(settingsOf(config.mqtt)));
  }

  /** After every (re)connect: the broker may have lost retained messages (no persistence, a new broker). */
  ready(): void {
    if (this.settings.discovery) this.announce();
    else this.remove(this.settings.prefix, true);
  }

  /** A finished event, as sent on the events topic: kept retained for the Last event sensor. */
  finished(message: FinishedMessage): void {
    if (this.settings.discovery) this.publish(this.topics.lastEvent, JSON.stringify(message), true);
  }

  close(): void {
    this.unsubscribe();
    this.stopTimers();
  }

  private reconfigure(next: Settings): void {
    const before = this.settings;
    if (JSON.stringify(before) === JSON.stringify(next)) return;
    this.settings = next;
    if (before.discovery && (!next.discovery || before.prefix !== next.prefix)) this.remove(before.prefix, !next.discovery);
    if (next.discovery) this.announce();
    else this.stopTimers();
    this.logger.info({ discovery: next.discovery, prefix: next.prefix }, next.discovery ? 'mqtt: Home Assistant discovery on' : 'mqtt: Home Assistant discovery off, configs removed');
  }

  private announce(): void {
    const version = this.core.status().version;
    for (const config of discoveryConfigs(this.settings.prefix, this.topics, version, this.qos)) this.publish(config.topic, JSON.stringify(config.payload), true);
    this.publishState();
    void this.publishSnapshot();
    this.startTimers();
  }

  /** Empty retained messages remove the entities; with `data`, the state, picture and last event too. */
  private remove(prefix: string, data: boolean): void {
    for (const config of discoveryConfigs(prefix, this.topics, '', this.qos)) this.publish(config.topic, '', true);
    if (data) for (const topic of [this.topics.state, this.topics.snapshot, this.topics.lastEvent]) this.publish(topic, '', true);
  }

  private startTimers(): void {
    this.stopTimers();
    this.stateTimer = setInterval(() => this.publishState(), this.settings.stateS * 1000);
    this.stateTimer.unref();
    if (this.settings.snapshotS > 0) {
      this.snapshotTimer = setInterval(() => void this.publishSnapshot(), this.settings.snapshotS * 1000);
      this.snapshotTimer.unref();
    }
  }

  private stopTimers(): void {
    clearInterval(this.stateTimer);
    clearInterval(this.snapshotTimer);
    this.stateTimer = this.snapshotTimer = undefined;
  }

  private publishState(): void {
    if (!this.connected()) return;
    const night = this.core.nightState();
    const status = this.core.status();
    const state = {
      camera_id: this.topics.cameraId,
      dark_score: round(night.darkScore),
      normalized_score: round(night.normalizedScore),
      night: night.night,
      exposure_us: night.exposure.exposureUs,
      gain: round(night.exposure.gain),
      fps: round(status.source.framesPerSecond),
      serving: status.serving,
      events_total: status.eventsTotal,
      time: new Date().toISOString(),
    };
    this.publish(this.topics.state, JSON.stringify(state), true);
  }

  /** One encode at a time, and none while the broker is away. */
  private async publishSnapshot(): Promise<void> {
    if (this.settings.snapshotS <= 0 || this.snapshotting || !this.connected()) return;
    this.snapshotting = true;
    try {
      const jpeg = await this.core.snapshot(SNAPSHOT_WIDTH, SNAPSHOT_QUALITY);
      if (jpeg && this.settings.discovery) this.publish(this.topics.snapshot, jpeg, true);
    } catch (error) {
      this.logger.debug({ err: error }, 'mqtt: snapshot failed');
    } finally {
      this.snapshotting = false;
    }
  }
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
