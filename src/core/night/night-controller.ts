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
  /**
   * `enter` and `leave` switch mode; `adjust` keeps night but changes its
   * exposure (saturated frames step it down towards day settings, dark ones
   * back up).
   */
  kind: 'enter' | 'leave' | 'adjust';
  night: boolean;
  darkScore: number;
  normalizedScore: number;
  exposure: ExposureSettings;
  reason: string;
  timestampMs: number;
  /** The frame whose score completed the run that caused the switch. */
  frameId: number;
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

/** A raw score this high means the picture is clipped white: its brightness cannot be judged. */
const SATURATED = 245;
/**
 * Above this raw score the night exposure is too strong for the scene: much
 * of the picture is clipped (noise keeps a clipped mean below 255), so the
 * normalised score understates the light. Step the exposure down.
 */
const OVEREXPOSED = 180;
/** A raw score this low at reduced night settings asks for more exposure again. */
const UNDEREXPOSED = 50;
/** Exposure x gain ratio between night steps. */
const STEP = 4;

/**
 * Day/night decision with hysteresis. Entering night needs `min_dark_frames`
 * consecutive frames below `dark_threshold`. Night exposure itself brightens
 * the picture, so the exit rule judges the score normalised to day exposure
 * x gain, and leaving needs as many consecutive frames above
 * `bright_threshold`.
 *
 * A clipped picture (raw score >= 245) says only "at least this bright", so
 * it never ends the night by itself: with strong night settings it would
 * flip to day while the scene is still dark, and straight back (the dusk
 * oscillation). Instead a run of clipped frames steps the night exposure x
 * gain down by 4 towards day settings, where the normalised score can be
 * judged again; a run of very dark frames at a reduced step steps back up.
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
  /** 0 = full night settings; each step divides exposure x gain by STEP. */
  private step = 0;
  private saturatedFrames = 0;
  private underexposedFrames = 0;

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
    if (!this.night) return this.day;
    const { exposure_us, gain } = this.settings;
    if (this.step === 0) return { exposureUs: exposure_us, gain };
    // Lower the gain first (less noise), then shorten the exposure; never below day settings.
    const total = (exposure_us * gain) / STEP ** this.step;
    const exposureUs = Math.round(Math.max(this.day.exposureUs, Math.min(exposure_us, total / this.day.gain)));
    return { exposureUs, gain: Math.max(this.day.gain, total / exposureUs) };
  }

  /** True when the night exposure has been stepped all the way down to day settings. */
  private get atDaySettings(): boolean {
    const e = this.exposure;
    return e.exposureUs * e.gain <= this.day.exposureUs * this.day.gain;
  }

  get isNight(): boolean {
    return this.night;
  }

  /**
   * Feeds one frame's score, taken at `exposure`; `frames` > 1 when the score stands for that many frames
   * (JPEG sources score one frame of several). Returns a transition when the mode changes.
   */
  update(score: number, exposure: ExposureSettings, timestampMs: number, frameId = 0, frames = 1): NightTransition | undefined {
    const factor = (exposure.exposureUs * exposure.gain) / (this.day.exposureUs * this.day.gain);
    this.lastScore = score;
    this.lastNormalized = score / factor;
    if (!this.settings.enable) return undefined;
    const { dark_threshold, bright_threshold, min_dark_frames } = this.settings;
    if (!this.night) {
      this.darkFrames = this.lastNormalized < dark_threshold ? this.darkFrames + frames : 0;
      if (this.darkFrames >= min_dark_frames) {
        return this.switchTo(true, timestampMs, `${this.darkFrames} frames darker than ${dark_threshold}`, frameId);
      }
    } else {
      // Frames still in flight from before the last change were taken at other settings:
      // they may end the night, but they say nothing about the current step.
      const current = this.exposure;
      const atCurrent = Math.abs(exposure.exposureUs * exposure.gain - current.exposureUs * current.gain) < 1e-6 * current.exposureUs * current.gain;
      const saturated = score >= OVEREXPOSED && atCurrent;
      this.brightFrames = score < SATURATED && this.lastNormalized > bright_threshold ? this.brightFrames + frames : 0;
      if (this.brightFrames >= min_dark_frames) {
        return this.switchTo(false, timestampMs, `${this.brightFrames} frames brighter than ${bright_threshold} (normalised)`, frameId);
      }
      this.saturatedFrames = saturated ? this.saturatedFrames + frames : 0;
      this.underexposedFrames = atCurrent && score < UNDEREXPOSED && this.step > 0 ? this.underexposedFrames + frames : 0;
      if (this.saturatedFrames >= min_dark_frames) {
        if (this.atDaySettings) {
          return this.switchTo(false, timestampMs, `${this.saturatedFrames} frames overexposed (score >= ${OVEREXPOSED}) even at day settings`, frameId);
        }
        return this.adjust(+1, timestampMs, `${this.saturatedFrames} frames overexposed (score >= ${OVEREXPOSED})`, frameId);
      }
      if (this.underexposedFrames >= min_dark_frames) {
        return this.adjust(-1, timestampMs, `${this.underexposedFrames} frames darker than ${UNDEREXPOSED} at a reduced night exposure`, frameId);
      }
    }
    return undefined;
  }

  private adjust(direction: 1 | -1, timestampMs: number, reason: string, frameId: number): NightTransition {
    this.step += direction;
    this.saturatedFrames = 0;
    this.underexposedFrames = 0;
    this.brightFrames = 0;
    return { ...this.describe(true, timestampMs, reason, frameId), kind: 'adjust' };
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

  private switchTo(night: boolean, timestampMs: number, reason: string, frameId = 0): NightTransition {
    this.night = night;
    this.step = 0;
    this.darkFrames = 0;
    this.brightFrames = 0;
    this.saturatedFrames = 0;
    this.underexposedFrames = 0;
    this.transitions++;
    this.lastTransitionMs = timestampMs;
    return { ...this.describe(night, timestampMs, reason, frameId), kind: night ? 'enter' : 'leave' };
  }

  private describe(night: boolean, timestampMs: number, reason: string, frameId: number): Omit<NightTransition, 'kind'> {
    return {
      night,
      darkScore: this.lastScore,
      normalizedScore: this.lastNormalized,
      exposure: this.exposure,
      reason,
      timestampMs,
      frameId,
    };
  }
}
