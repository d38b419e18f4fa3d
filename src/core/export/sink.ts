import type { FrameMeta, PixelFormat } from '../frame.js';
import type { PixelImage } from '../pixels/decode.js';

/**
 * A frame handed to the sinks: its bytes as held (read-only, valid until the
 * last sink's `write` settles) and its pixels, decoded once on first use and
 * shared by every sink.
 */
export interface SinkFrame {
  meta: FrameMeta;
  native: Buffer;
  /** Format of `native`: the source's, or `mjpeg` for a frame from the compressed tier. */
  format: PixelFormat;
  /** What the manifest calls where it came from: `raw` or the tier's `jpeg q<N>`. */
  tier: string;
  pixels: () => Promise<PixelImage>;
  /**
   * The frame as a JPEG straight from `native`, where that skips the pixels:
   * I420 with the native encoder (i420-jpeg.ts). Undefined otherwise.
   */
  jpeg?: (quality: number) => Promise<Buffer>;
}

/**
 * Where an export's frames go (picamera2's outputs: the window reader feeds
 * them). `write` resolves once the sink is done with the frame's memory;
 * `ordered` sinks get frames one at a time in capture order (a clip, a
 * stack), the others concurrently.
 */
export interface FrameSink {
  readonly ordered: boolean;
  write(frame: SinkFrame): Promise<void>;
  /** Bytes written to disk so far. */
  readonly bytes: number;
}
