import type { ErrorCode } from '../core/index.js';

/** The one mapping from core error codes to HTTP status codes. */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  INVALID_ARGUMENT: 400,
  NOT_FOUND: 404,
  FAILED_PRECONDITION: 409,
  // A full disk or too many pending events: the caller may retry later.
  RESOURCE_EXHAUSTED: 507,
  UNAVAILABLE: 503,
  BUSY: 429,
  UNAUTHENTICATED: 401,
  INTERNAL: 500,
};
