import type { CaptureSettings, ExposureSettings, FrameSink, FrameSource, SourceStats } from './frame-source.js';
import type { CaptureInfo, PixelFormat } from '../frame.js';
import { systemClock, type Clock, type FrameClock } from '../clock.js';

export interface SyntheticOptions {
  width: number;
  height: number;
  framerate: number;
  /** Frames in one day/night cycle; 0 keeps it day. */
  cycleFrames: number;
  /** Mirror left-right / upside down, as camera.hflip, vflip and rotation 180 ask. */
  hflip?: boolean;
  vflip?: boolean;
  /** Daytime exposure (camera.exposure_us/gain); shorter is a darker scene. Default 10 ms x 1. */
  day?: ExposureSettings;
  /** Stamps frames (default: the machine's clocks). */
  clock?: Clock;
  /**
   * Stamps frame n at start + n / fps instead of when it was made, and makes
   * every frame due, in a burst when the timer was late: a second of capture
   * is exactly `fps` frames however loaded the machine (tests, PICAM_CLOCK=frames).
   */
  frameClock?: FrameClock;
}

/** At most this many seconds of late frames are made in one timer tick (the rest follow on the next). */
const MAX_BURST_S = 1;

/** Exposure x gain at which full daylight gives the base picture (mean luma ~128). */
const REFERENCE: ExposureSettings = { exposureUs: 10_000, gain: 1 };
/** Read noise of the simulated sensor, in output levels at gain 1; gain amplifies it. */
const READ_NOISE = 2;
const NIGHT_LIGHT = 0.02;
const BOX = 0.2;
/** Rows per background band (a divisor of the 32-pixel checker). */
const BAND = 16;

/**
 * A moving scene whose light follows a day/night cycle counted in frames, so
 * night mode can be seen working with no camera. Pixel values are the scene
 * light times exposure x gain relative to daylight, clipped like a sensor.
 * One frame buffer is reused: no allocation per frame.
 */
export class SyntheticSource implements FrameSource {
  readonly kind = 'synthetic' as const;
  readonly format: PixelFormat = 'rgb24';
  readonly colorRange = 'full' as const;
  readonly width: number;
  readonly height: number;
  readonly dayExposure: ExposureSettings;
  /** Red channel of one background row: a left-to-right ramp. */
  private readonly red: Uint8Array;
  /** The buffer being rendered into: a ring slot while running. */
  private out: Buffer;
  private readonly lut = new Uint8Array(256);
  private readonly intervalMs: number;
  private fps: number;
  private exposure: ExposureSettings;
  private frameIndex = 0;
  private timer: NodeJS.Timeout | undefined;
  private nextDue = 0;

  constructor(private readonly options: SyntheticOptions) {
    this.width = options.width;
    this.height = options.height;
    this.fps = options.framerate;
    this.dayExposure = options.day ?? REFERENCE;
    this.exposure = this.dayExposure;
    this.intervalMs = 1000 / options.framerate;
    // Flips are built into the scene: the ramps and the box run the other way.
    this.red = Uint8Array.from({ length: options.width }, (_, x) => 40 + Math.round((180 * (options.hflip ? options.width - 1 - x : x)) / options.width));
    this.out = Buffer.alloc(0);
  }

  async start(sink: FrameSink): Promise<void> {
    this.nextDue = performance.now();
    const frameClock = this.options.frameClock;
    const clock = this.options.clock ?? systemClock;
    const emit = (): void => {
      const slot = sink.acquire();
      const time = frameClock ? frameClock.advance(this.fps) : { wallMs: clock.wallMs(), monotonicMs: clock.monotonicMs() };
      sink.commit(this.width * this.height * 3, this.renderInto(slot, time.wallMs, time.monotonicMs));
    };
    const tick = (): void => {
      const now = performance.now();
      if (frameClock) {
        // Every frame is made, late ones in a burst: the frame clock, not the timer, says when a frame was.
        for (let made = 0; this.nextDue <= now && made < this.fps * MAX_BURST_S; made++) {
          emit();
          this.nextDue += 1000 / this.fps;
        }
      } else {
        emit();
        // Schedule against the ideal timeline so timer lateness does not add up;
        // after a long stall, skip ahead instead of bursting.
        this.nextDue += 1000 / this.fps;
        if (this.nextDue < now) this.nextDue = now + 1000 / this.fps;
      }
      this.timer = setTimeout(tick, Math.max(0, this.nextDue - performance.now()));
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  apply(settings: CaptureSettings): void {
    this.exposure = settings.exposure;
    this.fps = settings.fps;
  }

  stats(): SourceStats {
    return { restarts: 0, lastError: '' };
  }

  /** Renders the next frame into `target` (a ring slot; tests pass their own buffer). */
  renderInto(target: Buffer, timestampMs: number, monotonicMs = performance.now()): CaptureInfo {
    this.out = target;
    this.render();
    return { timestampMs, monotonicMs, exposureUs: this.exposure.exposureUs, gain: this.exposure.gain };
  }

  /** Scene light 0..1 for the current frame: full day, smooth dusk, dark night. */
  sceneLight(): number {
    const cycle = this.options.cycleFrames;
    if (cycle <= 0) return 1;
    const phase = (this.frameIndex % cycle) / cycle;
    const daylight = 0.5 + 0.5 * Math.cos(2 * Math.PI * phase);
    return NIGHT_LIGHT + (1 - NIGHT_LIGHT) * daylight;
  }

  /**
   * The background is built from bands of BAND rows that are identical within
   * a band, so only one row per band goes through the light LUT and the rest
   * are memcpy: ~1 ms per 1080p frame instead of ~30 for a per-pixel pass.
   */
  private render(): void {
    const gainFactor = (this.exposure.exposureUs * this.exposure.gain) / (REFERENCE.exposureUs * REFERENCE.gain);
    const scale = this.sceneLight() * gainFactor;
    // Noise shows in dim scenes and at high gain; bright daylight frames skip the cost.
    const noise = scale < 0.5 || this.exposure.gain > 1 ? READ_NOISE * this.exposure.gain : 0;
    const { lut, out, width, height } = this;
    for (let v = 0; v < 256; v++) lut[v] = Math.min(255, Math.round(v * scale));
    const rowBytes = width * 3;
    for (let band = 0; band < height; band += BAND) {
      const start = band * rowBytes;
      const green = lut[40 + Math.round((180 * (this.options.vflip ? Math.max(0, height - BAND - band) : band)) / height)]!;
      const checkerY = (band >> 5) & 1;
      const light = lut[200]!;
      const dark = lut[60]!;
      for (let x = 0, i = start; x < width; x++, i += 3) {
        out[i] = lut[this.red[x]!]!;
        out[i + 1] = green;
        out[i + 2] = ((x >> 5) & 1) !== checkerY ? light : dark;
      }
      if (noise > 0) this.addNoise(out, start, start + rowBytes, noise);
      const end = Math.min(height, band + BAND);
      for (let row = band + 1; row < end; row++) out.copy(out, row * rowBytes, start, start + rowBytes);
    }
    this.drawMovingBox(Math.min(255, Math.round(230 * scale)));
    this.frameIndex++;
  }

  /**
   * Sensor noise, different every frame (so stacking frames visibly reduces
   * it), added to each band's template row: values come from a table of
   * unit-variance noise at a random offset, so it costs one table read per
   * byte of one row in sixteen (~1 ms a 1080p frame).
   */
  private addNoise(out: Buffer, from: number, to: number, sigma: number): void {
    const table = NOISE;
    let j = (Math.random() * NOISE_SIZE) | 0;
    for (let i = from; i < to; i++) {
      const v = out[i]! + sigma * table[j]!;
      out[i] = v < 0 ? 0 : v > 255 ? 255 : v;
      j = (j + 1) & (NOISE_SIZE - 1);
    }
  }

  private drawMovingBox(level: number): void {
    const { width, height, out } = this;
    const size = Math.max(4, Math.round(Math.min(width, height) * BOX));
    const travel = width - size;
    const period = Math.max(2, Math.round(this.intervalMs > 0 ? 4000 / this.intervalMs : 120));
    const step = this.frameIndex % (2 * period);
    const along = Math.round((travel * (step < period ? step : 2 * period - step)) / period);
    const x0 = this.options.hflip ? travel - along : along;
    const y0 = Math.round((height - size) / 2);
    for (let y = y0; y < y0 + size; y++) {
      const row = (y * width + x0) * 3;
      out.fill(level, row, row + size * 3);
    }
  }
}


const NOISE_SIZE = 1 << 16;
/** Unit-variance noise (sum of two uniforms, rescaled), made once. */
const NOISE = Float32Array.from({ length: NOISE_SIZE }, () => (Math.random() + Math.random() - 1) * 2.449);
