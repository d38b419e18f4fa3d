import type { ExposureSettings } from '../capture/frame-source.js';

export interface NightSettings {
  enable: boolean;
  dark_threshold: number;
  bright_threshold: number;
  min_dark_frames: number;
  mode: 'slow_video' | 'still';
  exposure_us: number;
  gain: number;
}

export interface NightTransition {
  night: boolean;
  darkScore: number;
  normalizedScore: number;
  exposure: ExposureSettings;
  reason: string;
  timestampMs: number;
}

export interface NightSnapshot {
  night: boolean;
  enabled: boolean;
  darkScore: number;
  normalizedScore: number;
  darkFrames: number;
  brightFrames: number;
  exposure: ExposureSettings;
  settings: NightSettings;
  lastTransitionMs: number | undefined;
  transitions: number;
}

/** A raw score this high at night settings means the sensor is saturated. */
const SATURATED = 245;

/**
 * Day/night decision with hysteresis. Entering night needs `min_dark_frames`
 * consecutive frames below `dark_threshold`. Night exposure itself brightens
 * the picture, so the exit rule judges the score normalised to day exposure x
 * gain; a saturated frame at night settings cannot be judged that way and
 * counts as bright. Leaving needs as many consecutive bright frames.
 */
export class NightController {
  private settings: NightSettings;
  private night = false;
  private darkFrames = 0;
  private brightFrames = 0;
  private lastScore = 0;
  private lastNormalized = 0;
  private lastTransitionMs: number | undefined;
  private transitions = 0;

  constructor(
    settings: NightSettings,
    private readonly day: ExposureSettings,
  ) {
    this.settings = settings;
  }

  /** New thresholds apply from the next frame; disabling returns to day at once. */
  configure(settings: NightSettings, timestampMs: number): NightTransition | undefined {
    this.settings = settings;
    if (!settings.enable && this.night) return this.switchTo(false, timestampMs, 'night.enable set to false');
    return undefined;
  }

  get exposure(): ExposureSettings {
    return this.night ? { exposureUs: this.settings.exposure_us, gain: this.settings.gain } : this.day;
  }

  get isNight(): boolean {
    return this.night;
  }

  /** Feeds one frame's score, taken at `exposure`. Returns a transition when the mode changes. */
  update(score: number, exposure: ExposureSettings, timestampMs: number): NightTransition | undefined {
    const factor = (exposure.exposureUs * exposure.gain) / (this.day.exposureUs * this.day.gain);
    this.lastScore = score;
    this.lastNormalized = score / factor;
    if (!this.settings.enable) return undefined;
    const { dark_threshold, bright_threshold, min_dark_frames } = this.settings;
    if (!this.night) {
      this.darkFrames = this.lastNormalized < dark_threshold ? this.darkFrames + 1 : 0;
      if (this.darkFrames >= min_dark_frames) {
        return this.switchTo(true, timestampMs, `${this.darkFrames} frames darker than ${dark_threshold}`);
      }
    } else {
      const bright = this.lastNormalized > bright_threshold || score >= SATURATED;
      this.brightFrames = bright ? this.brightFrames + 1 : 0;
      if (this.brightFrames >= min_dark_frames) {
        return this.switchTo(false, timestampMs, `${this.brightFrames} frames brighter than ${bright_threshold} (normalised)`);
      }
    }
    return undefined;
  }

  snapshot(): NightSnapshot {
    return {
      night: this.night,
      enabled: this.settings.enable,
      darkScore: this.lastScore,
      normalizedScore: this.lastNormalized,
      darkFrames: this.darkFrames,
      brightFrames: this.brightFrames,
      exposure: this.exposure,
      settings: this.settings,
      lastTransitionMs: this.lastTransitionMs,
      transitions: this.transitions,
    };
  }

  private switchTo(night: boolean, timestampMs: number, reason: string): NightTransition {
    this.night = night;
    this.darkFrames = 0;
    this.brightFrames = 0;
    this.transitions++;
    this.lastTransitionMs = timestampMs;
    return {
      night,
      darkScore: this.lastScore,
      normalizedScore: this.lastNormalized,
      exposure: this.exposure,
      reason,
      timestampMs,
    };
  }
}
