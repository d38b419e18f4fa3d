import { invalidField } from '../core/index.js';

/**
 * One percent-encoded path segment (an event id, a file name), decoded.
 * Malformed encoding (`%ff`, `%`) is the client's mistake: a 400 naming the
 * field, not an internal error with a stack trace in the log.
 */
export function decodeSegment(segment: string, field: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw invalidField(field, 'a percent-encoded path segment', segment);
  }
}
