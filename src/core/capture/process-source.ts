import type { CaptureSettings, ExposureSettings, FrameSink, FrameSource, SourceKind, SourceStats } from './frame-source.js';
import { frameBytes, type ColorRange, type PixelFormat } from '../frame.js';
import type { I420Layout } from './frame-layout.js';
import { JpegFrameSplitter } from './jpeg-frame-splitter.js';
import { ProcessSupervisor, type Command } from './process-supervisor.js';
import { RawFrameSplitter } from './raw-frame-splitter.js';

export interface ProcessSourceOptions {
  kind: Exclude<SourceKind, 'synthetic'>;
  /** Tool name for messages ("rpicam-vid", "ffmpeg"). */
  tool: string;
  width: number;
  height: number;
  format: PixelFormat;
  fps: number;
  /** YUV range of yuv420 frames as the tool writes them. */
  colorRange: ColorRange;
  /** How raw I420 frames lie on the wire when their rows are padded (rpicam-vid); packed otherwise. */
  wireLayout?: I420Layout;
  dayExposure: ExposureSettings;
  /** Builds the command for the settings in force. */
  command(settings: CaptureSettings): Command;
  /**
   * Applies new settings; returns true when the tool must be restarted for
   * them (the default), false when they were applied in place or cannot be.
   */
  applyInPlace?(settings: CaptureSettings, previous: CaptureSettings): Promise<boolean>;
  /** The exposure really in force for these settings (the camera clamps the shutter); default: as asked. */
  inForce?(settings: CaptureSettings): ExposureSettings;
  /** The tool cannot change exposure (a recording): frames always report the day settings. */
  exposureFixed?: boolean;
  /** Longest restart delay, ms. */
  backoffMaxMs?: number;
}

/** Frames this many intervals late mean the tool is stuck. */
const STALL_INTERVALS = 10;
const MIN_STALL_MS = 2000;

/**
 * A camera tool run as a child process whose stdout carries frames: raw
 * frames of a fixed size, or a stream of JPEGs. Supervised: restarted with
 * backoff when it exits or stalls.
 */
export class ProcessSource implements FrameSource {
  readonly kind: ProcessSourceOptions['kind'];
  readonly width: number;
  readonly height: number;
  readonly format: PixelFormat;
  readonly colorRange: ColorRange;
  readonly dayExposure: ExposureSettings;
  private settings: CaptureSettings;
  private supervisor: ProcessSupervisor | undefined;
  private restartQueued = false;

  constructor(private readonly options: ProcessSourceOptions) {
    this.kind = options.kind;
    this.width = options.width;
    this.height = options.height;
    this.format = options.format;
    this.colorRange = options.colorRange;
    this.dayExposure = options.dayExposure;
    this.settings = { exposure: options.dayExposure, fps: options.fps };
  }

  async start(sink: FrameSink): Promise<void> {
    const bytes = frameBytes(this.options);
    let settings: CaptureSettings | undefined;
    let inForce = this.settings.exposure;
    const capture = () => {
      if (settings !== this.settings) {
        settings = this.settings;
        inForce = this.options.inForce?.(settings) ?? settings.exposure;
      }
      return {
        timestampMs: Date.now(),
        monotonicMs: performance.now(),
        exposureUs: this.options.exposureFixed ? this.dayExposure.exposureUs : inForce.exposureUs,
        gain: this.options.exposureFixed ? this.dayExposure.gain : inForce.gain,
      };
    };
    const arrived = (length: number): void => {
      supervisor.frameArrived();
      sink.commit(length, capture());
    };
    const splitter =
      this.format === 'mjpeg'
        ? new JpegFrameSplitter(bytes, sink, arrived)
        : new RawFrameSplitter(bytes, sink, () => arrived(bytes), this.options.wireLayout);
    const supervisor = new ProcessSupervisor(this.options.tool, {
      command: () => this.options.command(this.settings),
      reset: () => splitter.reset(),
      reader: splitter,
      log: (line, important) => sink.log(line, important),
      error: (message) => sink.error(message),
      stallMs: () => Math.max(MIN_STALL_MS, (STALL_INTERVALS * 1000) / this.settings.fps, (STALL_INTERVALS * this.settings.exposure.exposureUs) / 1000),
    }, this.options.backoffMaxMs);
    this.supervisor = supervisor;
    supervisor.start();
  }

  async stop(): Promise<void> {
    await this.supervisor?.stop();
  }

  apply(settings: CaptureSettings): void {
    const previous = this.settings;
    this.settings = settings;
    const inPlace = this.options.applyInPlace?.(settings, previous) ?? Promise.resolve(true);
    void inPlace.then((restart) => {
      if (!restart || this.restartQueued) return;
      // Exposure and frame rate often change together: one restart for both.
      this.restartQueued = true;
      setImmediate(() => {
        this.restartQueued = false;
        this.supervisor?.restart();
      });
    });
  }

  stats(): SourceStats {
    return { restarts: this.supervisor?.restarts ?? 0, lastError: this.supervisor?.lastError ?? '' };
  }
}
