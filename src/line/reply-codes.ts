import type { ErrorCode } from '../core/index.js';

/** The closed list of `ERR <CODE>` words; extend it here and nowhere else. */
export const LINE_ERROR_CODES = ['UNKNOWN_COMMAND', 'BAD_ARGUMENT', 'NOT_FOUND', 'BUSY', 'UNAVAILABLE', 'RESOURCE_EXHAUSTED', 'UNAUTHENTICATED', 'INTERNAL'] as const;
export type LineErrorCode = (typeof LINE_ERROR_CODES)[number];

/** The one mapping from core error codes to line protocol codes. */
export const LINE_CODE: Record<ErrorCode, LineErrorCode> = {
  INVALID_ARGUMENT: 'BAD_ARGUMENT',
  NOT_FOUND: 'NOT_FOUND',
  FAILED_PRECONDITION: 'UNAVAILABLE',
  RESOURCE_EXHAUSTED: 'RESOURCE_EXHAUSTED',
  UNAVAILABLE: 'UNAVAILABLE',
  BUSY: 'BUSY',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  INTERNAL: 'INTERNAL',
};

/** One reply line; newlines in messages would break the protocol, so they are flattened. */
export function errLine(code: LineErrorCode, message: string): string {
  return `ERR ${code} ${message.replace(/\s*\n\s*/g, '; ')}`;
}
