import type { FrameSource } from '../capture/frame-source.js';
import type { Clock } from '../clock.js';
import { PicamError } from '../errors.js';
import type { FrameIngest } from '../ingest/frame-ingest.js';
import { streamRequestSchema, type StreamRequest } from '../requests.js';
import type { RingBuffer } from '../ring/ring-buffer.js';
import { validate } from '../validate.js';
import { streamFrames, type FrameFeed, type StreamedFrame, type StreamOptions } from './frame-stream.js';
import type { SharedEncoder } from './shared-encoder.js';
import { checkStreamOutput } from './stream-limits.js';
import type { StreamReader, StreamReaders } from './stream-readers.js';

export interface StreamParts {
  source: FrameSource;
  ring: RingBuffer;
  encoder: SharedEncoder;
  ingest: FrameIngest;
  readers: StreamReaders;
  clock: Clock;
}

/**
 * Frames for one reader: the request validated (INVALID_ARGUMENT naming the
 * field), then a stream over the ring tracked among the readers. `reader`
 * says who it is and, with a delivery probe, bounds what it has in flight
 * (stream/delivery-window.ts).
 */
export function openStream(parts: StreamParts, request: StreamRequest, signal: AbortSignal, reader?: StreamReader): AsyncGenerator<StreamedFrame> {
  const { source } = parts;
  const valid = validate(streamRequestSchema, request);
  const resized = (valid.width > 0 && valid.width !== source.width) || (valid.height > 0 && valid.height !== source.height);
  if (valid.encoding === 'raw' && valid.pixel_format === 'yuv420' && (source.format !== 'yuv420' || resized)) {
    throw new PicamError('INVALID_ARGUMENT', `pixel_format: PIXEL_FORMAT_YUV420 is offered only at full size from a camera that keeps yuv420; this one keeps ${source.format}`, {
      field: 'pixel_format',
    });
  }
  checkStreamOutput(source, valid, request.max_frame_bytes);
  const options: StreamOptions = {
    encoding: valid.encoding,
    maxFps: valid.max_fps,
    quality: valid.quality,
    width: valid.width,
    height: valid.height,
    pixelFormat: valid.pixel_format,
    qualitySet: valid.quality_set,
    historyS: valid.history_s,
  };
  const feed: FrameFeed = {
    ring: parts.ring,
    encoder: parts.encoder,
    width: source.width,
    height: source.height,
    format: source.format,
    nowMs: () => parts.clock.wallMs(),
    subscribe: (listener) => parts.ingest.onFrame(listener),
  };
  const window = parts.readers.window(reader);
  return parts.readers.track(streamFrames(feed, options, signal, window), reader, options.encoding, window);
}
