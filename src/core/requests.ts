import { z } from 'zod';
import { integer } from './config/format-issues.js';

/**
 * Arguments the adapters pass to the core, named as in the proto and the line
 * protocol (`before_s=1`), so a validation message names the field the caller
 * actually typed.
 */
export const triggerRequestSchema = z.object({
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
}

export const streamRequestSchema = z.object({
  encoding: z.enum(['jpeg', 'raw', 'metadata']),
  max_fps: z.number().min(0).max(1000),
  quality: integer(1, 100),
  width: integer(0, 8192),
  height: integer(0, 8192),
  pixel_format: z.enum(['rgb24', 'gray8', 'yuv420']),
  quality_set: z.boolean(),
  history_s: z.number().min(0).max(3600),
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
