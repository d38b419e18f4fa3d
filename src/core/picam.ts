import type { Config } from './config/schema.js';
import { persistConfig } from './config/persist-config.js';
import { PicamError } from './errors.js';
import type { CoreEvent } from './feed/core-event.js';
import { checkEventId } from './export/event-id.js';
import type { EventStore } from './export/event-store.js';
import type { AcceptedEvent } from './export/exporter.js';
import { HISTORY_INTERVAL_MS, type HistoryWindow } from './history/history.js';
import type { NightSnapshot } from './night/night-controller.js';
import { checkWindow, triggerRequestSchema, type StreamRequest, type TriggerRequest } from './requests.js';
import { planConfigure } from './runtime-config/config-plan.js';
import { assembleCore, type CoreParts, type PicamOptions } from './startup/assemble-core.js';
import { statusView, type PicamStatus } from './status/status-view.js';
import type { StreamedFrame } from './stream/frame-stream.js';
import { openStream } from './stream/open-stream.js';
import type { StreamReader } from './stream/stream-readers.js';
import { validate } from './validate.js';

export type { CoreEvent } from './feed/core-event.js';
export type { CompressedTierStatus, PicamStatus } from './status/status-view.js';
export type { PicamOptions } from './startup/assemble-core.js';

export interface ConfigureResult {
  config: Config;
  appliedPaths: string[];
  persisted: boolean;
}

/**
 * The one core API: capture into the ring, night mode, export, streaming.
 * Adapters (gRPC, line protocol, HTTP, MQTT) call only this and know
 * nothing else. Each concern lives in the module named for it; this wires
 * them and answers for them.
 */
export class Picam {
  private constructor(private readonly parts: CoreParts) {}

  /** Opens the source, allocates the ring, repairs and retains events, then starts capture. */
  static async create(options: PicamOptions): Promise<Picam> {
    return new Picam(await assembleCore(options));
  }

  /** Stops triggers, lets exports finish for `export.shutdown_grace_s`, then stops capture. */
  async stop(): Promise<void> {
    const { retention, sampler, exporter, config, tier, source, watchdog } = this.parts;
    retention.stop();
    sampler.stop();
    await exporter.close(config.current.export.shutdown_grace_s * 1000);
    tier?.close();
    await source.stop();
    watchdog.stop();
  }

  /** Core events from now until `signal` aborts; a reader 256 behind loses the oldest (counted in status().eventsDropped). */
  events(signal: AbortSignal): AsyncIterableIterator<CoreEvent> {
    return this.parts.feed.events(signal);
  }

  onServingChange(listener: (serving: boolean) => void): () => void {
    return this.parts.watchdog.onChange(listener);
  }

  /** Called after Configure changed something, with the new config and the paths that changed (a throw is logged, not passed on). */
  onConfigChange(listener: (config: Config, changedPaths: string[]) => void): () => void {
    return this.parts.configFeed.listen(({ config, changedPaths }) => listener(config, changedPaths));
  }

  /** The newest `seconds` of one-a-second samples (by count), with the night transitions and events since the first. */
  recentHistory(seconds: number): HistoryWindow {
    return this.parts.history.latest((seconds * 1000) / HISTORY_INTERVAL_MS);
  }

  /** The newest frame as a JPEG at most `maxWidth` wide (aspect kept); undefined while there is none. For low-rate snapshots, not streaming. */
  async snapshot(maxWidth: number, quality: number): Promise<Buffer | undefined> {
    const { source, ring, encoder } = this.parts;
    const width = Math.min(source.width, maxWidth);
    const height = Math.max(1, Math.round((source.height * width) / source.width));
    const encoded = ring.size > 0 ? encoder.encode(ring.newestId, { encoding: 'jpeg', width, height, quality, pixelFormat: 'rgb24', qualitySet: true }) : undefined;
    return encoded ? Buffer.from((await encoded).data) : undefined;
  }

  get isServing(): boolean {
    return this.parts.watchdog.isServing;
  }

  /** Starts an event; throws INVALID_ARGUMENT naming the field for bad arguments. */
  trigger(request: TriggerRequest): Promise<AcceptedEvent> {
    const valid = validate(triggerRequestSchema, request);
    checkWindow(valid, this.parts.config.current.export);
    const { source, reason, label, stack, formats } = valid;
    return this.parts.exporter.trigger({ source, reason, label, stack, beforeS: valid.before_s, afterS: valid.after_s, formats });
  }

  /** Deletes an event folder; one still being written is cancelled first (it reports `cancelled`), so it never has to be waited out. */
  async deleteEvent(eventId: string): Promise<{ bytesFreed: number; cancelled: boolean }> {
    checkEventId(eventId);
    const cancelled = await this.parts.exporter.cancel(eventId);
    return { bytesFreed: await this.parts.store.delete(eventId), cancelled };
  }

  /** Events on disk (and being written): list, read, file paths. */
  get eventStore(): EventStore {
    return this.parts.store;
  }

  nightState(): NightSnapshot & { fps: number } {
    return this.parts.night.snapshot();
  }

  currentConfig(): Config {
    return this.parts.config.current;
  }

  /** Frames for one reader (stream/open-stream.ts); throws INVALID_ARGUMENT naming the field. */
  frames(request: StreamRequest, signal: AbortSignal, reader?: StreamReader): AsyncGenerator<StreamedFrame> {
    return openStream(this.parts, request, signal, reader);
  }

  /** Validates `updates` with the start-up schema and applies them; values only a restart can change are refused unless unchanged. */
  async configure(updates: ReadonlyMap<string, unknown>, validateOnly: boolean, persist: boolean): Promise<ConfigureResult> {
    const { config, night, configFeed, options } = this.parts;
    const logger = options.logger;
    const { next, changed } = planConfigure(config.current, updates);
    if (validateOnly) return { config: next, appliedPaths: [], persisted: false };
    const previous = config.current;
    config.current = next;
    night.configure(previous);
    logger.level = next.logging.level;
    if (changed.length > 0) {
      logger.info({ paths: changed }, 'configuration changed');
      configFeed.publish({ config: next, changedPaths: changed });
    }
    if (persist) {
      await persistConfig(config.file, next, [...updates.keys()]).catch((error: unknown) => {
        throw PicamError.from(error);
      });
      logger.info({ file: config.file, paths: [...updates.keys()] }, 'configuration persisted (previous version in .bak)');
    }
    return { config: next, appliedPaths: changed, persisted: persist };
  }

  status(): PicamStatus {
    const p = this.parts;
    return statusView({
      ...p,
      version: p.options.version,
      serving: p.watchdog.isServing,
      framerate: p.config.current.camera.framerate,
      encodes: p.encoder.encodes,
      night: p.night.isNight,
      eventsDropped: p.feed.dropped,
    });
  }
}
