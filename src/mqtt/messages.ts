import type { EventProgress, Manifest, NightSnapshot, NightTransition, PicamError } from '../core/index.js';
import type { RequestId } from './trigger-payload.js';
import { MQTT_ERROR_CODE } from './error-codes.js';

/**
 * The JSON published on `<prefix>/<camera_id>/events` and `/night`. Field
 * names are snake_case, as in event.json and the line protocol; every message
 * names its camera, so one subscription to `picam/+/events` serves a fleet.
 */
export interface AcceptedMessage {
  type: 'accepted';
  camera_id: string;
  event_id: string;
  dir: string;
  time: string;
  time_ms: number;
  source: string;
  reason: string;
  /** Known at acceptance only for MQTT triggers; every finished message has it. */
  label?: string;
  request_id: RequestId | null;
}

export interface FinishedMessage {
  type: 'complete' | 'partial' | 'failed' | 'cancelled';
  camera_id: string;
  event_id: string;
  dir: string;
  request_id: RequestId | null;
  frames: number;
  source?: string;
  reason?: string;
  label?: string;
  time?: string;
  finished?: string;
  formats?: string[];
  missing_frames?: number;
  stacks?: number;
  clip?: string;
  bytes?: number;
  error?: string;
  error_code?: string;
}

export interface RejectedMessage {
  type: 'rejected';
  camera_id: string;
  error: string;
  error_code: string;
  field: string | null;
  request_id: RequestId | null;
  topic: string;
  time: string;
}

export interface NightMessage {
  type: 'night';
  camera_id: string;
  night: boolean;
  /** true when published for a switch, false for the state re-sent on (re)connect. */
  transition: boolean;
  dark_score: number;
  normalized_score: number;
  exposure_us: number;
  gain: number;
  fps: number;
  time: string;
  time_ms: number;
  reason?: string;
  frame_id?: number;
}

export interface AcceptedInfo {
  eventId: string;
  dir: string;
  triggerMs: number;
  source: string;
  reason: string;
  label?: string | undefined;
  requestId?: RequestId | undefined;
}

export function acceptedMessage(cameraId: string, info: AcceptedInfo): AcceptedMessage {
  return {
    type: 'accepted',
    camera_id: cameraId,
    event_id: info.eventId,
    dir: info.dir,
    time: new Date(info.triggerMs).toISOString(),
    time_ms: info.triggerMs,
    source: info.source,
    reason: info.reason,
    ...(info.label === undefined ? {} : { label: info.label }),
    request_id: info.requestId ?? null,
  };
}

/** The manifest in brief; without one (nothing could be written) what progress knows. */
export function finishedMessage(cameraId: string, progress: EventProgress, manifest: Manifest | undefined, requestId: RequestId | undefined): FinishedMessage {
  const state = manifest?.state ?? progress.state;
  const message: FinishedMessage = {
    type: state === 'complete' || state === 'partial' || state === 'cancelled' ? state : 'failed',
    camera_id: cameraId,
    event_id: progress.eventId,
    dir: progress.dir,
    request_id: requestId ?? null,
    frames: manifest?.frames.length ?? progress.framesWritten,
  };
  if (manifest) {
    Object.assign(message, {
      source: manifest.trigger.source,
      reason: manifest.trigger.reason,
      label: manifest.trigger.label,
      time: manifest.trigger.time,
      finished: manifest.finished,
      formats: manifest.formats,
      missing_frames: manifest.missing.reduce((sum, range) => sum + range.last_id - range.first_id + 1, 0),
      stacks: manifest.stacks.length,
      bytes: manifest.bytes,
    });
    if (manifest.clip !== undefined) message.clip = manifest.clip;
  }
  const error = manifest?.error ?? progress.error;
  if (error !== undefined) message.error = error;
  if (manifest?.error_code !== undefined) message.error_code = MQTT_ERROR_CODE[manifest.error_code];
  return message;
}

export function rejectedMessage(cameraId: string, error: PicamError, requestId: RequestId | undefined, topic: string): RejectedMessage {
  return {
    type: 'rejected',
    camera_id: cameraId,
    error: error.message,
    error_code: MQTT_ERROR_CODE[error.code],
    field: error.field ?? null,
    request_id: requestId ?? null,
    topic,
    time: new Date().toISOString(),
  };
}

export function nightTransitionMessage(cameraId: string, transition: NightTransition, fps: number): NightMessage {
  return {
    type: 'night',
    camera_id: cameraId,
    night: transition.night,
    transition: true,
    dark_score: round(transition.darkScore),
    normalized_score: round(transition.normalizedScore),
    exposure_us: transition.exposure.exposureUs,
    gain: round(transition.exposure.gain),
    fps: round(fps),
    time: new Date(transition.timestampMs).toISOString(),
    time_ms: transition.timestampMs,
    reason: transition.reason,
    frame_id: transition.frameId,
  };
}

export function nightStateMessage(cameraId: string, state: NightSnapshot & { fps: number }, nowMs: number): NightMessage {
  return {
    type: 'night',
    camera_id: cameraId,
    night: state.night,
    transition: false,
    dark_score: round(state.darkScore),
    normalized_score: round(state.normalizedScore),
    exposure_us: state.exposure.exposureUs,
    gain: round(state.exposure.gain),
    fps: round(state.fps),
    time: new Date(nowMs).toISOString(),
    time_ms: nowMs,
  };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
