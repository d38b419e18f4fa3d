/** The core's public surface: adapters import from here only. */
export { Picam, type CoreEvent, type PicamStatus, type ConfigureResult, type PicamOptions } from './picam.js';
export { systemClock, FrameClock, type Clock } from './clock.js';
export { eachEvent } from './feed/event-feed.js';
export { PicamError, ERROR_CODES, invalidField, unknownField, describeValue, description, type Description, type ErrorCode } from './errors.js';
export { loadConfig, parseConfig, ConfigError } from './config/load-config.js';
export { configSchema, type Config } from './config/schema.js';
export { createLogger, type Logger } from './logger.js';
export type { TriggerRequest, StreamRequest } from './requests.js';
export type { AcceptedEvent, EventProgress } from './export/exporter.js';
export type { EventState, Manifest } from './export/manifest.js';
export type { EventSummary, EventDetail } from './export/event-store.js';
export type { NightSnapshot, NightTransition } from './night/night-controller.js';
export type { StreamedFrame } from './stream/frame-stream.js';
export type { DeliveryProbe } from './stream/delivery-window.js';
export type { StreamReader, StreamReaderStatus } from './stream/stream-readers.js';
export type { PixelFormat } from './frame.js';
export { tokenMatches } from './token.js';
export { HISTORY_SECONDS, type HistoryWindow, type HistoryEvent, type HistoryTransition } from './history/history.js';
