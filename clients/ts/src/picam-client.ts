import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { timestampDate } from '@bufbuild/protobuf/wkt';
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
  type WatchEventsResponse,
} from '../../../src/gen/picam/v1/camera_pb.js';
import { createClient, type ClientOptions, type PromiseClient } from './promise-client.js';

type Methods = typeof CameraService extends { method: infer M } ? { [K in keyof M]: M[K] } : never;

export interface TriggerOptions {
  reason?: string;
  label?: string;
  beforeS?: number;
  afterS?: number;
  /** Any of "jpg", "png", "npy", "mp4". */
  formats?: string[];
  stack?: boolean;
  /** Resolve only once the event is written (state COMPLETE, PARTIAL or FAILED). */
  wait?: boolean;
}

export interface FramesOptions {
  encoding?: 'jpeg' | 'raw' | 'metadata';
  maxFps?: number;
  width?: number;
  height?: number;
  quality?: number;
  pixelFormat?: 'rgb24' | 'gray8' | 'yuv420';
  historyS?: number;
  signal?: AbortSignal;
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

/**
 * The friendly TypeScript client: typed messages, promises, and async
 * iterators for the streams. Connects with the receive limit a raw frame
 * needs (64 MiB) and keepalive. Errors are grpc-js ServiceErrors whose
 * `code` is the gRPC status (e.g. 3 = INVALID_ARGUMENT).
 */
export class PicamClient {
  readonly raw: PromiseClient<Methods>;

  constructor(address = 'localhost:50051', options: ClientOptions = {}) {
    this.raw = createClient(CameraService, address, options) as unknown as PromiseClient<Methods>;
  }

  close(): void {
    this.raw.close();
  }

  trigger(options: TriggerOptions = {}): Promise<TriggerResponse> {
    return this.raw.trigger(options, { deadlineMs: options.wait ? 600_000 : 20_000 });
  }

  nightState(): Promise<GetNightStateResponse> {
    return this.raw.getNightState({});
  }

  status(): Promise<GetStatusResponse> {
    return this.raw.getStatus({});
  }

  /**
   * Applies `updates` keyed by config path ("night.dark_threshold": 30);
   * only those fields change. Returns the configuration in force.
   */
  async configure(updates: Record<string, unknown>, options: { validateOnly?: boolean; persist?: boolean } = {}): Promise<Config | undefined> {
    const nested: Record<string, Record<string, unknown>> = {};
    for (const [path, value] of Object.entries(updates)) {
      const [section = '', key = ''] = path.split('.');
      (nested[section] ??= {})[key] = value;
    }
    const config = create(ConfigSchema, toCamel(nested) as MessageInitShape<typeof ConfigSchema>);
    const response = await this.raw.configure({ config, updateMask: { paths: Object.keys(updates) }, ...options });
    return response.config;
  }

  /** Live frames as an async iterator; break out of the loop (or abort `signal`) to cancel the call. */
  async *frames(options: FramesOptions = {}): AsyncGenerator<ReceivedFrame> {
    const call = this.raw.streamFrames({
      encoding: ENCODINGS[options.encoding ?? 'jpeg'],
      maxFps: options.maxFps ?? 0,
      width: options.width ?? 0,
      height: options.height ?? 0,
      ...(options.quality !== undefined ? { quality: options.quality } : {}),
      pixelFormat: PIXEL_FORMATS[options.pixelFormat ?? 'rgb24'],
      ...(options.historyS !== undefined ? { historyS: options.historyS } : {}),
    });
    const onAbort = (): void => call.cancel();
    options.signal?.addEventListener('abort', onAbort);
    try {
      for await (const message of call.stream) {
        if (!message.frame) continue;
        yield { frame: message.frame, captureTime: timestampDate(message.frame.captureTime!), dropped: message.dropped };
      }
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      call.cancel();
    }
  }

  /** Night transitions and event progress as they happen. */
  async *events(signal?: AbortSignal): AsyncGenerator<WatchEventsResponse> {
    const call = this.raw.watchEvents({});
    const onAbort = (): void => call.cancel();
    signal?.addEventListener('abort', onAbort);
    try {
      for await (const message of call.stream) yield message;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      call.cancel();
    }
  }

  listEvents(pageSize = 50, pageToken = ''): Promise<ListEventsResponse> {
    return this.raw.listEvents({ pageSize, pageToken });
  }

  getEvent(eventId: string): Promise<GetEventResponse> {
    return this.raw.getEvent({ eventId });
  }

  async deleteEvent(eventId: string): Promise<bigint> {
    return (await this.raw.deleteEvent({ eventId })).bytesFreed;
  }
}

/** config.json keys (snake_case) to protobuf-es field names (camelCase). */
function toCamel(value: Record<string, Record<string, unknown>>): Record<string, Record<string, unknown>> {
  const camel = (key: string): string => key.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
  return Object.fromEntries(
    Object.entries(value).map(([section, fields]) => [camel(section), Object.fromEntries(Object.entries(fields).map(([k, v]) => [camel(k), v]))]),
  );
}
