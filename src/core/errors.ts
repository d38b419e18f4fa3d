/**
 * The closed set of failures the core reports. Each adapter maps these codes
 * in exactly one place (src/grpc/status.ts, src/line/reply-codes.ts), so a
 * new code is added here and there, never invented elsewhere.
 */
export const ERROR_CODES = [
  'INVALID_ARGUMENT',
  'NOT_FOUND',
  'FAILED_PRECONDITION',
  'RESOURCE_EXHAUSTED',
  'UNAVAILABLE',
  'BUSY',
  'UNAUTHENTICATED',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface PicamErrorOptions {
  /** Dotted path of the offending field, e.g. `night.min_dark_frames`. */
  field?: string;
  cause?: unknown;
}

export class PicamError extends Error {
  readonly code: ErrorCode;
  readonly field: string | undefined;

  constructor(code: ErrorCode, message: string, options: PicamErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PicamError';
    this.code = code;
    this.field = options.field;
  }

  /** Wraps anything thrown; OS errors keep their meaning (ENOSPC is a full disk, not a bug). */
  static from(error: unknown): PicamError {
    if (error instanceof PicamError) return error;
    const errno = (error as NodeJS.ErrnoException | undefined)?.code;
    const message = error instanceof Error ? error.message : String(error);
    switch (errno) {
      case 'ENOSPC':
      case 'EDQUOT':
        return new PicamError('RESOURCE_EXHAUSTED', `disk full: ${message}`, { cause: error });
      case 'EFBIG':
        return new PicamError('RESOURCE_EXHAUSTED', `file size limit reached: ${message}`, { cause: error });
      case 'EMFILE':
      case 'ENFILE':
        return new PicamError('RESOURCE_EXHAUSTED', `too many open files: ${message}`, { cause: error });
      case 'ENOENT':
        return new PicamError('NOT_FOUND', message, { cause: error });
      case 'EACCES':
      case 'EPERM':
      case 'EROFS':
      case 'ENOTDIR':
      case 'EEXIST':
        return new PicamError('FAILED_PRECONDITION', `not writable: ${message}`, { cause: error });
      default:
        return new PicamError('INTERNAL', message, { cause: error });
    }
  }
}

/** The one template for bad input, at start-up and at run time alike. */
export function invalidField(field: string, expected: string, received: unknown): PicamError {
  return new PicamError('INVALID_ARGUMENT', `${field}: expected ${expected}, received ${describeValue(received)}`, {
    field,
  });
}

export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(describeValue).join(', ')}]`;
  if (value !== null && typeof value === 'object') return 'an object';
  return String(value);
}
