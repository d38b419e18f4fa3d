import type { z } from 'zod';
import { formatIssues } from './config/format-issues.js';
import { PicamError } from './errors.js';

/**
 * Checks request arguments with a zod schema and reports the first bad field
 * in the same template as config errors, so every adapter says it alike.
 */
export function validate<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return result.data;
  const [first] = formatIssues(result.error.issues);
  throw new PicamError('INVALID_ARGUMENT', first?.message ?? 'invalid argument', { field: first?.field });
}
