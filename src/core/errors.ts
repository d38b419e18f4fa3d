/**
 * The closed set of failures the core reports. Each adapter maps these codes
 * in exactly one place (gRPC: src/grpc/status.ts, line protocol:
 * src/line/reply-codes.ts, HTTP: src/http/http-status.ts, MQTT:
 * src/mqtt/error-codes.ts), and the README's error table lists them all, so a
 * new code is added here and in each of those, never invented elsewhere
 * (test/unit/core/error-table.test.ts holds them together).
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

/**
 * The one template for bad input, at start-up and at run time alike:
 * `night.min_dark_frames: expected integer >= 1, received -3`.
 */
export function invalidField(field: string, expected: string, received: unknown): PicamError {
  return new PicamError('INVALID_ARGUMENT', `${field}: expected ${expected}, received ${describeValue(received)}`, {
    field,
  });
}

/**
 * The template for a key no schema knows (`befor_s: unknown field`), with the
 * keys that are known when there are few enough to list. The name is cut
 * short: it is the caller's text, possibly hostile.
 */
export function unknownField(field: string, known: readonly string[] = []): PicamError {
  const name = field.slice(0, MAX_ECHOED);
  const hint = known.length > 0 ? `; expected one of ${known.join(', ')}` : '';
  return new PicamError('INVALID_ARGUMENT', `${name}: unknown field${hint}`, { field: name });
}

/** Characters of a caller's string echoed in an error at most (a 1 MB value must not become a 1 MB message). */
const MAX_ECHOED = 64;

const DESCRIPTION = Symbol('description');
/** What was received, already in words (`invalid JSON (...)`, `an array`), shown as it is rather than quoted. */
export interface Description {
  readonly [DESCRIPTION]: string;
}
export function description(text: string): Description {
  return { [DESCRIPTION]: text };
}

export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'object' && value !== null && DESCRIPTION in value) return (value as Description)[DESCRIPTION];
  if (typeof value === 'string') return value.length > MAX_ECHOED ? `${JSON.stringify(value.slice(0, MAX_ECHOED))}... (${value.length} characters)` : JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(describeValue).join(', ')}]`;
  if (value !== null && typeof value === 'object') return 'an object';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return value.toString();
  return `${value as number | bigint | boolean | null}`;
}
