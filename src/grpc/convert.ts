import { fromJson, ScalarType, toJson, type JsonValue } from '@bufbuild/protobuf';
import { PicamError, unknownField } from '../core/index.js';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import type { Config, EventDetail, NightTransition, EventState, EventSummary, NightSnapshot, PicamStatus, PixelFormat, StreamedFrame } from '../core/index.js';
import {
  ConfigSchema,
  Encoding,
  EventState as ProtoEventState,
  PixelFormat as ProtoPixelFormat,
  type Config as ProtoConfig,
} from '../gen/picam/v1/camera_pb.js';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { EventFrameSchema, EventSchema, FrameSchema, GetNightStateResponseSchema, GetStatusResponseSchema, NightTransitionSchema } from '../gen/picam/v1/camera_pb.js';

/** Translations between core values and proto messages; no behaviour lives here. */

export const EVENT_STATE: Record<EventState, ProtoEventState> = {
  pending: ProtoEventState.PENDING,
  complete: ProtoEventState.COMPLETE,
  partial: ProtoEventState.PARTIAL,
  failed: ProtoEventState.FAILED,
  cancelled: ProtoEventState.CANCELLED,
};

const PIXEL_FORMAT: Record<PixelFormat, ProtoPixelFormat> = {
  rgb24: ProtoPixelFormat.RGB24,
  gray8: ProtoPixelFormat.GRAY8,
  yuv420: ProtoPixelFormat.YUV420,
  mjpeg: ProtoPixelFormat.JPEG,
};

const ENCODING = { jpeg: Encoding.JPEG, raw: Encoding.RAW, metadata: Encoding.METADATA_ONLY } as const;

/** Config fields of a 64-bit proto type, found from the descriptor once. */
const INT64_PATHS = new Set(
  ConfigSchema.fields.flatMap((section) =>
    section.message
      ? section.message.fields
          .filter((f) => f.fieldKind === 'scalar' && [ScalarType.INT64, ScalarType.UINT64, ScalarType.SINT64, ScalarType.FIXED64, ScalarType.SFIXED64].includes(f.scalar))
          .map((f) => `${section.name}.${f.name}`)
      : [],
  ),
);

/**
 * Secrets and the output-only flag that stands for each in replies. A
 * secret is never sent back (with the token off, anyone on the LAN may call
 * Configure), and leaving it out rather than showing a placeholder means a
 * reply sent back as an update (read-modify-write) leaves it as it is.
 */
const SECRETS = [
  { section: 'network', key: 'token', flag: 'token_set' },
  { section: 'mqtt', key: 'password', flag: 'password_set' },
] as const;
const OUTPUT_ONLY = new Set<string>(SECRETS.map(({ section, flag }) => `${section}.${flag}`));

/** The config as callers see it: secrets left out, `token_set` / `password_set` saying whether each is set. */
export function configToProto(config: Config): ProtoConfig {
  const shown = structuredClone(config) as unknown as Record<string, Record<string, unknown>>;
  for (const { section, key, flag } of SECRETS) {
    const fields = shown[section]!;
    fields[flag] = fields[key] !== '';
    delete fields[key];
  }
  return fromJson(ConfigSchema, shown as unknown as JsonValue);
}

/**
 * Refuses fields of a Configure `config` this server has no name for (a
 * newer client's field, sent by number): protobuf would keep them aside as
 * unknown and the update would silently not apply them.
 */
function rejectUnknownFields(config: ProtoConfig): void {
  const top = config.$unknown?.[0];
  if (top) throw unknownField(`config.(field ${top.no})`);
  for (const section of ConfigSchema.fields) {
    const value = (config as unknown as Record<string, { $unknown?: { no: number }[] } | undefined>)[section.localName];
    const field = value?.$unknown?.[0];
    if (field) throw unknownField(`${section.name}.(field ${field.no})`);
  }
}

/**
 * Reads the fields an update names. Proto field names equal config.json keys,
 * so the proto's JSON form (with proto names) is a partial config.json.
 */
export function configUpdates(config: ProtoConfig | undefined, paths: readonly string[]): Map<string, unknown> {
  if (config) rejectUnknownFields(config);
  const named = paths.find((path) => OUTPUT_ONLY.has(path));
  if (named !== undefined) {
    throw new PicamError('INVALID_ARGUMENT', `${named}: output only (it says whether a secret is set); change the secret through ${named.replace(/_set$/, '')}`, { field: named });
  }
  const json = (config ? toJson(ConfigSchema, config, { useProtoFieldName: true }) : {}) as Record<string, Record<string, unknown> | undefined>;
  const chosen =
    paths.length > 0
      ? paths
      : Object.entries(json)
          .flatMap(([section, fields]) => Object.keys(fields ?? {}).map((key) => `${section}.${key}`))
          .filter((path) => !OUTPUT_ONLY.has(path));
  return new Map(
    chosen.map((path) => {
      const [section = '', key = ''] = path.split('.');
      const value = json[section]?.[key];
      // 64-bit fields (ring.max_bytes) travel as JSON strings; config.json has numbers.
      return [path, typeof value === 'string' && INT64_PATHS.has(path) ? Number(value) : value];
    }),
  );
}

export function nightToProto(night: NightSnapshot & { fps: number }): MessageInitShape<typeof GetNightStateResponseSchema> {
  return {
    night: night.night,
    enabled: night.enabled,
    darkScore: night.darkScore,
    normalizedScore: night.normalizedScore,
    darkThreshold: night.settings.dark_threshold,
    brightThreshold: night.settings.bright_threshold,
    minDarkFrames: night.settings.min_dark_frames,
    darkFrames: night.darkFrames,
    brightFrames: night.brightFrames,
    exposureUs: night.exposure.exposureUs,
    gain: night.exposure.gain,
    mode: night.settings.mode,
    ...(night.lastTransitionMs !== undefined ? { lastTransitionTime: timestampFromMs(night.lastTransitionMs) } : {}),
    transitions: BigInt(night.transitions),
    requestedFramesPerSecond: night.fps,
    // Deprecated name of the same value, still filled for older callers.
    framesPerSecond: night.fps,
  };
}

export function statusToProto(status: PicamStatus): MessageInitShape<typeof GetStatusResponseSchema> {
  const { source, ring } = status;
  return {
    version: status.version,
    startTime: timestampFromMs(status.startMs),
    source: {
      kind: source.kind,
      reason: source.reason,
      running: source.running,
      framesCaptured: BigInt(source.framesCaptured),
      framesDropped: BigInt(source.framesDropped),
      measuredFramesPerSecond: source.framesPerSecond,
      // Deprecated name of the same value, still filled for older callers.
      framesPerSecond: source.framesPerSecond,
      restarts: source.restarts,
      lastError: source.lastError,
      width: source.width,
      height: source.height,
      pixelFormat: PIXEL_FORMAT[source.format],
    },
    ring: {
      capacityFrames: ring.capacity,
      filledFrames: ring.filled,
      payloadBytes: BigInt(ring.payloadBytes),
      slotBytes: BigInt(ring.slotBytes),
      capacityS: ring.capacityS,
      oldestFrameId: BigInt(ring.oldestId),
      newestFrameId: BigInt(ring.newestId),
      spanS: ring.spanS,
      packed: ring.packed,
      bytesHeld: BigInt(ring.bytesHeld),
      ...(ring.compressed
        ? {
            compressedTier: {
              quality: ring.compressed.quality,
              payloadBytes: BigInt(ring.compressed.payloadBytes),
              bytesHeld: BigInt(ring.compressed.bytesHeld),
              filledFrames: ring.compressed.filled,
              oldestFrameId: BigInt(ring.compressed.oldestId),
              newestFrameId: BigInt(ring.compressed.newestId),
              spanS: ring.compressed.spanS,
              capacityS: ring.compressed.capacityS,
              framesEncoded: BigInt(ring.compressed.encoded),
              framesSkipped: BigInt(ring.compressed.skipped),
              meanEncodeMs: ring.compressed.meanEncodeMs,
            },
          }
        : {}),
    },
    serving: status.serving,
    eventsPending: status.eventsPending,
    eventsTotal: BigInt(status.eventsTotal),
    streamSubscribers: status.streamSubscribers,
    streamEncodes: BigInt(status.streamEncodes),
    night: status.night,
    streamReaders: status.streamReaders.map((r) => ({
      transport: r.transport,
      peer: r.peer,
      encoding: ENCODING[r.encoding],
      since: timestampFromMs(r.sinceMs),
      framesSent: BigInt(r.framesSent),
      framesDropped: BigInt(r.framesDropped),
      framesInFlight: r.framesInFlight,
      bytesInFlight: BigInt(r.bytesInFlight),
      inFlightTracked: r.tracked,
    })),
  };
}

export function eventToProto(event: EventSummary): MessageInitShape<typeof EventSchema> {
  return {
    eventId: event.eventId,
    dir: event.dir,
    state: EVENT_STATE[event.state],
    triggerTime: timestampFromMs(event.triggerMs),
    triggerSource: event.triggerSource,
    reason: event.reason,
    frameCount: event.frameCount,
    bytes: BigInt(event.bytes),
  };
}

export function frameToProto(frame: StreamedFrame): MessageInitShape<typeof FrameSchema> {
  const { meta } = frame;
  return {
    frameId: BigInt(meta.id),
    captureTime: timestampFromMs(meta.timestampMs),
    darkScore: meta.darkScore,
    night: meta.night,
    exposureUs: meta.exposureUs,
    gain: meta.gain,
    width: frame.width,
    height: frame.height,
    encoding: ENCODING[frame.encoding],
    pixelFormat: frame.pixelFormat ? PIXEL_FORMAT[frame.pixelFormat] : ProtoPixelFormat.UNSPECIFIED,
    data: frame.data,
  };
}

/**
 * One frame of an event's manifest in the proto's vocabulary: the same
 * names and the same metadata (exposure, gain) as a streamed Frame.
 */
export function eventFrameToProto(frame: EventDetail['frames'][number]): MessageInitShape<typeof EventFrameSchema> {
  return {
    frameId: BigInt(frame.frame_id),
    captureTime: timestampFromMs(frame.capture_time_ms),
    darkScore: frame.dark_score,
    night: frame.night,
    exposureUs: frame.exposure_us,
    gain: frame.gain,
    files: frame.files,
    tier: frame.tier ?? 'raw',
  };
}

export function nightTransitionToProto(transition: NightTransition, requestedFps: number): MessageInitShape<typeof NightTransitionSchema> {
  return {
    night: transition.night,
    darkScore: transition.darkScore,
    normalizedScore: transition.normalizedScore,
    exposureUs: transition.exposure.exposureUs,
    gain: transition.exposure.gain,
    reason: transition.reason,
    frameId: BigInt(transition.frameId),
    requestedFramesPerSecond: requestedFps,
    // Deprecated name of the same value, still filled for older callers.
    framesPerSecond: requestedFps,
  };
}
