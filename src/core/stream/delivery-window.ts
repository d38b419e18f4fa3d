/**
 * How a transport tells the core that a reader has its bytes: `delivered()`
 * resolves once the peer has received everything handed to the transport
 * before the call (gRPC: an HTTP/2 PING acknowledged after the frame; the
 * live page: the kernel's unacknowledged byte count). It must also resolve
 * (not reject) when the connection goes away.
 */
export interface DeliveryProbe {
  delivered(): Promise<void>;
}

/** What one reader has sent and not yet seen arrive, for GetStatus and /metrics. */
export interface InFlight {
  frames: number;
  bytes: number;
}

/**
 * Frames a reader may have in flight (sent, arrival not confirmed). Two keep
 * a slow link busy (one arriving while the next is on the wire) while what
 * the reader sees is at most about two frame-transmission times old. Without
 * this bound the newest-frame rule stops at the socket: the kernel send
 * buffer and the HTTP/2 windows take seconds of frames at 2 Mbit/s, and the
 * reader sees the world that late.
 */
export const MAX_FRAMES_IN_FLIGHT = 2;

/**
 * The per-reader send window. The stream calls `sent()` after the transport
 * took a frame, then `ready()` before it picks the next one, so the frame it
 * picks is the newest when the link can take it, and frames captured while
 * waiting count as dropped.
 */
export class DeliveryWindow {
  readonly inFlight: InFlight = { frames: 0, bytes: 0 };
  private wake: (() => void) | undefined;

  constructor(
    private readonly probe: DeliveryProbe,
    private readonly maxFrames = MAX_FRAMES_IN_FLIGHT,
  ) {}

  sent(bytes: number): void {
    this.inFlight.frames++;
    this.inFlight.bytes += bytes;
    void this.probe.delivered().then(() => {
      this.inFlight.frames--;
      this.inFlight.bytes -= bytes;
      this.wake?.();
    });
  }

  /** Resolves when another frame may be sent, or when `signal` aborts. */
  async ready(signal: AbortSignal): Promise<void> {
    if (this.inFlight.frames < this.maxFrames || signal.aborted) return;
    const onAbort = (): void => this.wake?.();
    signal.addEventListener('abort', onAbort);
    try {
      while (this.inFlight.frames >= this.maxFrames && !signal.aborted) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }
}
