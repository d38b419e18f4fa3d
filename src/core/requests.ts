import { z } from 'zod';
import { integer } from './config/format-issues.js';
import { description, invalidField } from './errors.js';

/**
 * Arguments the adapters pass to the core, named as in the proto and the line
 * protocol (`before_s=1`), so a validation message names the field the caller
 * actually typed. One strict schema for every adapter: a key that is not a
 * trigger field (`befor_s`) is refused and named, never silently dropped.
 * `wait` is checked here but honoured by the adapter (it waits on `done`).
 */
export const triggerRequestSchema = z.strictObject({
  source: z.string(),
  reason: z.string().max(500).default(''),
  label: z.string().max(100).default(''),
  stack: z.boolean().optional(),
  before_s: z.number().min(0).max(3600).optional(),
  after_s: z.number().min(0).max(3600).optional(),
  formats: z
    .array(z.enum(['jpg', 'png', 'npy', 'mp4']))
    .optional()
    .transform((formats) => (formats && formats.length > 0 ? [...new Set(formats)] : undefined)),
  wait: z.boolean().optional(),
});
/** Unchecked trigger arguments as an adapter received them. */
export interface TriggerRequest {
  source: string;
  reason?: string | undefined;
  label?: string | undefined;
  stack?: boolean | undefined;
  before_s?: number | undefined;
  after_s?: number | undefined;
  formats?: readonly string[] | undefined;
  wait?: boolean | undefined;
}

/**
 * The window (before + after) may not exceed `export.max_window_s`: a trigger
 * holds one of `max_pending_events` for its whole after-window, so eight
 * triggers of an hour would lock every adapter out for an hour.
 */
export function checkWindow(request: { before_s?: number | undefined; after_s?: number | undefined }, settings: { save_before_s: number; save_after_s: number; max_window_s: number }): void {
  const before = request.before_s ?? settings.save_before_s;
  const after = request.after_s ?? settings.save_after_s;
  if (before + after <= settings.max_window_s) return;
  const field = request.after_s !== undefined && (request.before_s === undefined || after >= before) ? 'after_s' : 'before_s';
  throw invalidField(field, `before_s + after_s <= ${settings.max_window_s} s (export.max_window_s)`, description(`${before} + ${after}`));
}

/** Strict like the trigger schema: a key that is not a stream field is refused and named. */
export const streamRequestSchema = z.strictObject({
  encoding: z.enum(['jpeg', 'raw', 'metadata']),
  max_fps: z.number().min(0).max(1000),
  quality: integer(1, 100),
  width: integer(0, 8192),
  height: integer(0, 8192),
  pixel_format: z.enum(['rgb24', 'gray8', 'yuv420']),
  quality_set: z.boolean(),
  history_s: z.number().min(0).max(3600),
  max_frame_bytes: z.number().int().min(0).optional(),
});
/** Unchecked stream arguments as an adapter received them. */
export interface StreamRequest {
  encoding: string;
  max_fps: number;
  quality: number;
  width: number;
  height: number;
  pixel_format: string;
  quality_set: boolean;
  history_s: number;
  /** The adapter's largest message: a raw frame that cannot fit is refused before anything is encoded. */
  max_frame_bytes?: number | undefined;
}
