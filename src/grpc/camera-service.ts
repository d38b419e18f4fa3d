import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import type { CoreEvent, Picam } from '../core/index.js';
import { invalidField, type PicamError } from '../core/index.js';
import { CameraService, Encoding, EventState, PixelFormat } from '../gen/picam/v1/camera_pb.js';
import { configToProto, configUpdates, EVENT_STATE, eventFrameToProto, eventToProto, frameToProto, nightToProto, nightTransitionToProto, statusToProto } from './convert.js';
import type { ServiceHandlers } from './service-definition.js';

type Methods = typeof CameraService extends { method: infer M } ? { [K in keyof M]: M[K] } : never;

const ENCODINGS = { [Encoding.UNSPECIFIED]: 'jpeg', [Encoding.JPEG]: 'jpeg', [Encoding.RAW]: 'raw', [Encoding.METADATA_ONLY]: 'metadata' } as const;
const PIXEL_FORMATS: Partial<Record<PixelFormat, 'rgb24' | 'gray8' | 'yuv420'>> = {
  [PixelFormat.UNSPECIFIED]: 'rgb24',
  [PixelFormat.RGB24]: 'rgb24',
  [PixelFormat.GRAY8]: 'gray8',
  [PixelFormat.YUV420]: 'yuv420',
};
const MAX_PAGE = 1000;

/** CameraService over the core: every handler only translates. */
export function cameraHandlers(core: Picam, maxSendBytes: number): ServiceHandlers<Methods> {
  // A frame travels with its metadata; keep room for it under the message limit.
  const maxFrameBytes = maxSendBytes - 4096;
  return {
    async trigger(request) {
      const accepted = await core.trigger({
        source: 'grpc',
        reason: request.reason,
        label: request.label,
        stack: request.stack,
        before_s: request.beforeS,
        after_s: request.afterS,
        formats: request.formats,
      });
      const state = request.wait ? EVENT_STATE[(await accepted.done).state] : EventState.PENDING;
      return {
        eventId: accepted.eventId,
        dir: accepted.dir,
        triggerTime: timestampFromMs(accepted.triggerMs),
        framesBefore: accepted.framesBefore,
        state,
      };
    },

    async streamFrames(request, stream) {
      const encoding = ENCODINGS[request.encoding];
      const pixelFormat = PIXEL_FORMATS[request.pixelFormat];
      if (encoding === undefined) throw badEnum('encoding', request.encoding);
      if (pixelFormat === undefined) throw badEnum('pixel_format', request.pixelFormat);
      const frames = core.frames(
        {
          encoding,
          max_fps: request.maxFps,
          quality: request.quality ?? 80,
          width: request.width,
          height: request.height,
          pixel_format: pixelFormat,
          quality_set: request.quality !== undefined,
          history_s: request.historyS ?? 0,
          max_frame_bytes: maxFrameBytes,
        },
        stream.signal,
        { transport: 'grpc', peer: stream.peer, probe: stream.probe },
      );
      for await (const frame of frames) await stream.send({ frame: frameToProto(frame), dropped: frame.dropped });
    },

    async getNightState() {
      return nightToProto(core.nightState());
    },

    async configure(request) {
      const updates = configUpdates(request.config, request.updateMask?.paths ?? []);
      const result = await core.configure(updates, request.validateOnly, request.persist);
      return { config: configToProto(result.config), appliedPaths: result.appliedPaths, persisted: result.persisted };
    },

    async getStatus() {
      return statusToProto(core.status());
    },

    async watchEvents(_request, stream) {
      // Registered by this call (a bounded queue in the core, oldest dropped), so nothing after Subscribed can be missed.
      const events = core.events(stream.signal);
      try {
        await stream.send({ time: timestampFromMs(Date.now()), kind: { case: 'subscribed', value: {} } });
        for await (const event of events) await stream.send(watchResponse(event));
      } finally {
        await events.return?.();
      }
    },

    async listEvents(request) {
      if (request.pageSize > MAX_PAGE) throw invalidField('page_size', `integer <= ${MAX_PAGE}`, request.pageSize);
      const size = request.pageSize === 0 ? 50 : request.pageSize;
      const token = request.pageToken === '' ? undefined : request.pageToken;
      const ids = await core.eventStore.listIds(size + 1, token);
      const page = ids.slice(0, size);
      const events = await Promise.all(page.map(async (id) => eventToProto((await core.eventStore.get(id)).summary)));
      return { events, nextPageToken: ids.length > size ? (page.at(-1) ?? '') : '' };
    },

    async getEvent(request) {
      const detail = await core.eventStore.get(request.eventId);
      return { event: eventToProto(detail.summary), frames: detail.frames.map(eventFrameToProto) };
    },

    async deleteEvent(request) {
      const deleted = await core.deleteEvent(request.eventId);
      return { bytesFreed: BigInt(deleted.bytesFreed), cancelled: deleted.cancelled };
    },
  };
}

function watchResponse(event: CoreEvent) {
  if (event.kind === 'night') {
    return {
      time: timestampFromMs(event.transition.timestampMs),
      kind: { case: 'nightTransition' as const, value: nightTransitionToProto(event.transition, event.fps) },
    };
  }
  const p = event.progress;
  return {
    time: timestampFromMs(event.timestampMs),
    kind: {
      case: 'eventProgress' as const,
      value: { eventId: p.eventId, state: EVENT_STATE[p.state], dir: p.dir, framesWritten: p.framesWritten, error: p.error ?? '' },
    },
  };
}

/** An enum number this server has no name for (a newer client's value, or garbage). */
function badEnum(field: string, value: number): PicamError {
  return invalidField(field, 'a supported value', value);
}
