import { PicamError } from '../errors.js';

/** Bytes an event may hold outside the ring, and how that was reckoned. */
export interface WindowNeed {
  bytes: number;
  /** The sum in words, for the trigger's error and the log. */
  arithmetic: string;
  /** Which of the trigger's fields made the window too big, should it be. */
  field: 'before_s' | 'after_s';
}

export interface WindowNeedInput {
  beforeS: number;
  afterS: number;
  /** Frames the camera is asked for (the window's future frames arrive at this rate). */
  framerate: number;
  /** Frames of the window already in the raw ring, and their bytes. */
  heldFrames: number;
  heldBytes: number;
  /** Bytes assumed for each frame still to come. */
  frameBytes: number;
}

/**
 * What one window may have to hold outside the ring: every frame of it the
 * raw ring holds now, plus every frame still to come. An export that keeps
 * up holds none of it (frames leave the ring only once saved); one that
 * falls a ring behind holds what the ring would overwrite, and in the worst
 * case (an encoder that stops) that is all of it, so that is what a trigger
 * must be able to promise. Frames in the compressed tier are not counted:
 * the tier keeps them for the export (it is pinned).
 */
export function windowNeed(input: WindowNeedInput): WindowNeed {
  const afterFrames = Math.ceil(input.afterS * input.framerate);
  const afterBytes = afterFrames * input.frameBytes;
  const bytes = input.heldBytes + afterBytes;
  const arithmetic =
    `${input.heldFrames} frames in the ring (${mb(input.heldBytes)}) + ${input.afterS} s x ${input.framerate} fps = ${afterFrames} frames ` +
    `x ${input.frameBytes} bytes (${mb(afterBytes)}) = ${mb(bytes)}`;
  return { bytes, arithmetic, field: input.heldBytes > afterBytes ? 'before_s' : 'after_s' };
}

/**
 * The export.max_buffer_bytes budget shared by every pending event. A
 * trigger reserves its window's worst case (windowNeed) or is refused with
 * the arithmetic, so an event never finds out afterwards that it could not
 * keep a frame; frames copied out of the ring are then taken from its own
 * reservation.
 */
export class ExportBuffer {
  private reservedBytes = 0;
  private events = 0;

  /** Bytes reserved by pending events. */
  get reserved(): number {
    return this.reservedBytes;
  }

  /**
   * Reserves `need` out of `limit` bytes (`limitBasis` says where the limit
   * came from). INVALID_ARGUMENT when the window could never fit, RESOURCE_EXHAUSTED
   * when it does not fit beside the events being written now.
   */
  reserve(need: WindowNeed, limit: number, limitBasis: string, window: { beforeS: number; afterS: number }): BufferReservation {
    if (need.bytes > limit) {
      throw new PicamError(
        'INVALID_ARGUMENT',
        `${need.field}: expected a window whose frames fit export.max_buffer_bytes (${mb(limit)}, ${limitBasis}), received ${window.beforeS} + ${window.afterS} s: ` +
          `${need.arithmetic}; shorten the window or raise export.max_buffer_bytes`,
        { field: need.field },
      );
    }
    if (this.reservedBytes + need.bytes > limit) {
      throw new PicamError(
        'RESOURCE_EXHAUSTED',
        `export.max_buffer_bytes: ${need.arithmetic} does not fit beside the ${mb(this.reservedBytes)} reserved by ${this.events} events being written ` +
          `(${mb(this.reservedBytes)} + ${mb(need.bytes)} > ${mb(limit)}, ${limitBasis}); try again when they finish`,
        { field: 'export.max_buffer_bytes' },
      );
    }
    this.reservedBytes += need.bytes;
    this.events++;
    return new BufferReservation(need.bytes, () => {
      this.reservedBytes -= need.bytes;
      this.events--;
    });
  }
}

/** One event's share of the budget: frames copied out are taken from it and given back once saved. */
export class BufferReservation {
  private heldBytes = 0;
  private peakBytes = 0;
  private released = false;

  constructor(
    readonly bytes: number,
    private readonly onRelease: () => void,
  ) {}

  get held(): number {
    return this.heldBytes;
  }

  /** Most bytes held at once. */
  get peak(): number {
    return this.peakBytes;
  }

  /** Takes `bytes`; false (nothing taken) when the reservation is spent. */
  take(bytes: number): boolean {
    if (this.heldBytes + bytes > this.bytes) return false;
    this.heldBytes += bytes;
    this.peakBytes = Math.max(this.peakBytes, this.heldBytes);
    return true;
  }

  give(bytes: number): void {
    this.heldBytes -= bytes;
  }

  /** Gives the reservation back to the budget (once; later calls do nothing). */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.onRelease();
  }
}

export function mb(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : `${(bytes / 1e6).toFixed(1)} MB`;
}
