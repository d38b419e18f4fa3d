import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import { eventWatch, type EventWatch } from './event-watch.js';
import {
  CameraService,
  ConfigSchema,
  Encoding,
  PixelFormat,
  type Config,
  type Frame,
  type GetNightStateResponse,
  type GetStatusResponse,
  type ListEventsResponse,
  type GetEventResponse,
  type TriggerResponse,
} from './gen/picam/v1/camera_pb.js';
import { createClient, type CallOptions, type ClientOptions, type PromiseClient } from './promise-client.js';

type Methods = typeof CameraService extends { method: infer M } ? { [K in keyof M]: M[K] } : never;

export interface TriggerOptions extends CallOptions {
  reason?: string;
  label?: string;
  beforeS?: number;
  afterS?: number;
  /** Any of "jpg", "png", "npy", "mp4". */
  formats?: string[];
  stack?: boolean;
  /** Resolve only once the event is written (state COMPLETE, PARTIAL or FAILED); the deadline is then 10 min. */
  wait?: boolean;
}

export interface FramesOptions extends CallOptions {
  encoding?: 'jpeg' | 'raw' | 'metadata';
  maxFps?: number;
  width?: number;
  height?: number;
  quality?: number;
  pixelFormat?: 'rgb24' | 'gray8' | 'yuv420';
  historyS?: number;
}

export interface ConfigureOptions extends CallOptions {
  /** Check the update and return the would-be config without applying it. */
  validateOnly?: boolean;
  /** Also write the result to the service's config file. */
  persist?: boolean;
}

export interface ListEventsOptions extends CallOptions {
  /** Events per page (server default 50, at most 1000). */
  pageSize?: number;
  /** "" for the first page, then the previous page's `nextPageToken`. */
  pageToken?: string;
}

/** One streamed frame with its metadata; `data` is JPEG bytes or raw pixels. */
export interface ReceivedFrame {
  frame: Frame;
  captureTime: Date;
  /** Frames skipped for this subscriber since the previous one. */
  dropped: number;
}

const ENCODINGS = { jpeg: Encoding.JPEG, raw: Encoding.RAW, metadata: Encoding.METADATA_ONLY } as const;
const PIXEL_FORMATS = { rgb24: PixelFormat.RGB24, gray8: PixelFormat.GRAY8, yuv420: PixelFormat.YUV420 } as const;
const TRIGGER_WAIT_DEADLINE_MS = 600_000;

/**
 * The friendly TypeScript client: typed messages, promises, and async
 * iterators for the streams. Connects with the receive limit a raw frame
 * needs (64 MiB) and keepalive. Every method takes an AbortSignal (`signal`)
 * and fails with a PicamClientError: `code` is the gRPC status (Code.*),
 * `field` the offending field when the server names one; an aborted call
 * fails with a PicamAbortError (name "AbortError").
 */
export class PicamClient {
  readonly raw: PromiseClient<Methods>;

  constructor(address = 'localhost:50051', options: ClientOptions = {}) {
    this.raw = createClient(CameraService, address, options);
  }

  close(): void {
    this.raw.close();
  }

  trigger(options: TriggerOptions = {}): Promise<TriggerResponse> {
    const { signal, deadlineMs, ...request } = options;
    return this.raw.trigger(request, { signal, deadlineMs: deadlineMs ?? (options.wait ? TRIGGER_WAIT_DEADLINE_MS : undefined) });
  }

  nightState(options: CallOptions = {}): Promise<GetNightStateResponse> {
    return this.raw.getNightState({}, options);
  }

  status(options: CallOptions = {}): Promise<GetStatusResponse> {
    return this.raw.getStatus({}, options);
  }

  /**
   * Applies `updates` keyed by config path ("night.dark_threshold": 30);
   * only those fields change. Returns the configuration in force.
   */
  async configure(updates: Record<string, unknown>, options: ConfigureOptions = {}): Promise<Config | undefined> {
    const { signal, deadlineMs, ...flags } = options;
    const nested: Record<string, Record<string, unknown>> = {};
    for (const [path, value] of Object.entries(updates)) {
      const [section = '', key = ''] = path.split('.');
      (nested[section] ??= {})[key] = value;
    }
    const config = create(ConfigSchema, toCamel(nested) as MessageInitShape<typeof ConfigSchema>);
    const response = await this.raw.configure({ config, updateMask: { paths: Object.keys(updates) }, ...flags }, { signal, deadlineMs });
    return response.config;
  }

  /** Live frames as an async iterator; break out of the loop (or abort `signal`) to cancel the call. */
  async *frames(options: FramesOptions = {}): AsyncGenerator<ReceivedFrame> {
    const call = this.raw.streamFrames(
      {
        encoding: ENCODINGS[options.encoding ?? 'jpeg'],
        maxFps: options.maxFps ?? 0,
        width: options.width ?? 0,
        height: options.height ?? 0,
        ...(options.quality !== undefined ? { quality: options.quality } : {}),
        pixelFormat: PIXEL_FORMATS[options.pixelFormat ?? 'rgb24'],
        ...(options.historyS !== undefined ? { historyS: options.historyS } : {}),
      },
      { signal: options.signal, deadlineMs: options.deadlineMs },
    );
    try {
      for await (const message of call.stream) {
        if (!message.frame) continue;
        yield { frame: message.frame, captureTime: timestampDate(message.frame.captureTime!), dropped: message.dropped };
      }
    } finally {
      call.cancel();
    }
  }

  /**
   * Night transitions and event progress as they happen. Await `ready`
   * before acting on the camera to be sure the watch sees the outcome:
   *
   *   const watch = client.events({ signal });
   *   await watch.ready;
   *   await client.trigger();
   *   for await (const message of watch) { ... }
   */
  events(options: CallOptions = {}): EventWatch {
    return eventWatch(this.raw.watchEvents({}, options));
  }

  listEvents(options: ListEventsOptions = {}): Promise<ListEventsResponse> {
    const { signal, deadlineMs, pageSize = 50, pageToken = '' } = options;
    return this.raw.listEvents({ pageSize, pageToken }, { signal, deadlineMs });
  }

  getEvent(eventId: string, options: CallOptions = {}): Promise<GetEventResponse> {
    return this.raw.getEvent({ eventId }, options);
  }

  async deleteEvent(eventId: string, options: CallOptions = {}): Promise<bigint> {
    return (await this.raw.deleteEvent({ eventId }, options)).bytesFreed;
  }
}

/** config.json keys (snake_case) to protobuf-es field names (camelCase). */
function toCamel(value: Record<string, Record<string, unknown>>): Record<string, Record<string, unknown>> {
  const camel = (key: string): string => key.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
  return Object.fromEntries(
    Object.entries(value).map(([section, fields]) => [camel(section), Object.fromEntries(Object.entries(fields).map(([k, v]) => [camel(k), v]))]),
  );
}
