import { systemClock, type Clock } from '../clock.js';
import { DeliveryWindow, type DeliveryProbe } from './delivery-window.js';
import type { StreamedFrame } from './frame-stream.js';
import type { StreamEncoding } from './shared-encoder.js';

/** Who reads a stream, as the adapter knows it. */
export interface StreamReader {
  /** The adapter: `grpc` (StreamFrames) or `http` (/live.mjpg). */
  transport: 'grpc' | 'http';
  /** Address and port of the reader, as the transport sees it. */
  peer: string;
  /** Tells when the reader has received what was sent; without one only the transport's own backpressure applies. */
  probe?: DeliveryProbe | undefined;
}

/** One reader now, for GetStatus and /metrics. */
export interface StreamReaderStatus {
  id: number;
  transport: StreamReader['transport'];
  peer: string;
  encoding: StreamEncoding;
  sinceMs: number;
  framesSent: number;
  /** Frames skipped for this reader (max_fps included), since it connected. */
  framesDropped: number;
  /** Sent, arrival not yet confirmed by the reader. */
  framesInFlight: number;
  bytesInFlight: number;
  /** False when the transport gave no delivery probe: in-flight figures then stay 0. */
  tracked: boolean;
}

interface Entry {
  status: Omit<StreamReaderStatus, 'framesInFlight' | 'bytesInFlight'>;
  window: DeliveryWindow | undefined;
}

/** The readers streaming now, each with its send window. */
export class StreamReaders {
  private readonly live = new Set<Entry>();
  private nextId = 1;
  /** Frames skipped because readers were slower than capture (not max_fps), all readers since start. */
  lagged = 0;

  constructor(private readonly clock: Clock = systemClock) {}

  /** The window for a new reader (undefined without a probe). */
  window(reader: StreamReader | undefined): DeliveryWindow | undefined {
    return reader?.probe ? new DeliveryWindow(reader.probe) : undefined;
  }

  /** Passes `frames` through, counting for `reader` while it runs. */
  async *track(frames: AsyncGenerator<StreamedFrame>, reader: StreamReader | undefined, encoding: StreamEncoding, window: DeliveryWindow | undefined): AsyncGenerator<StreamedFrame> {
    const entry: Entry = {
      status: { id: this.nextId++, transport: reader?.transport ?? 'grpc', peer: reader?.peer ?? '', encoding, sinceMs: this.clock.wallMs(), framesSent: 0, framesDropped: 0, tracked: window !== undefined },
      window,
    };
    this.live.add(entry);
    try {
      for await (const frame of frames) {
        this.lagged += frame.lagged;
        entry.status.framesSent++;
        entry.status.framesDropped += frame.dropped;
        yield frame;
      }
    } finally {
      this.live.delete(entry);
    }
  }

  list(): StreamReaderStatus[] {
    return [...this.live].map(({ status, window }) => ({ ...status, framesInFlight: window?.inFlight.frames ?? 0, bytesInFlight: window?.inFlight.bytes ?? 0 }));
  }
}
