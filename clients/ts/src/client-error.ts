import { fromBinary } from '@bufbuild/protobuf';
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import * as grpc from '@grpc/grpc-js';
import { BadRequestSchema } from './gen/google/rpc/error_details_pb.js';
import { StatusSchema } from './gen/google/rpc/status_pb.js';

/** gRPC status codes (grpc-js's enum), so callers need not import grpc-js to compare `error.code`. */
export const Code = grpc.status;
export type Code = grpc.status;

/** The standard rich-error trailer: a serialized google.rpc.Status. */
const STATUS_DETAILS_KEY = 'grpc-status-details-bin';

/** One offending field, as the server names it in google.rpc.BadRequest. */
export interface FieldViolation {
  /** The request or config path, e.g. "after_s" or "night.min_dark_frames". */
  field: string;
  description: string;
}

/**
 * What every call of this client fails with. `code` is the gRPC status;
 * `field` is the first offending field the server named in its
 * google.rpc.BadRequest details (undefined when the error names none), so a
 * caller can point at the input without parsing `details`.
 */
export class PicamClientError extends Error {
  override readonly name: string = 'PicamClientError';
  readonly code: Code;
  /** The server's message, without the code prefix that `message` carries. */
  readonly details: string;
  readonly field: string | undefined;
  readonly fieldViolations: readonly FieldViolation[];
  /** Response headers and trailers of the failed call (empty for client-side errors). */
  readonly metadata: grpc.Metadata;

  constructor(code: Code, details: string, options: { metadata?: grpc.Metadata; fieldViolations?: FieldViolation[]; cause?: unknown } = {}) {
    super(`${Code[code] ?? code}: ${details}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = details;
    this.metadata = options.metadata ?? new grpc.Metadata();
    this.fieldViolations = options.fieldViolations ?? [];
    this.field = this.fieldViolations[0]?.field;
  }
}

/**
 * The call was cancelled through its AbortSignal. `name` is "AbortError", as
 * for fetch and Node's own APIs, `code` is CANCELLED and `cause` is the
 * signal's reason.
 */
export class PicamAbortError extends PicamClientError {
  override readonly name = 'AbortError';

  constructor(reason: unknown) {
    super(Code.CANCELLED, 'the call was aborted', { cause: reason });
  }
}

/** A grpc-js error (or anything thrown while calling) as this client's typed error. */
export function toClientError(error: unknown, signal?: AbortSignal): PicamClientError {
  if (error instanceof PicamClientError) return error;
  if (signal?.aborted) return new PicamAbortError(signal.reason);
  if (!isServiceError(error)) return new PicamClientError(Code.UNKNOWN, String(error), { cause: error });
  return new PicamClientError(error.code, error.details, { metadata: error.metadata, fieldViolations: fieldViolations(error.metadata), cause: error });
}

function isServiceError(error: unknown): error is grpc.ServiceError {
  return error instanceof Error && typeof (error as Partial<grpc.ServiceError>).code === 'number' && (error as Partial<grpc.ServiceError>).metadata instanceof grpc.Metadata;
}

/** The field violations in the trailer's google.rpc.Status details; none if absent or unreadable. */
function fieldViolations(metadata: grpc.Metadata): FieldViolation[] {
  const [bytes] = metadata.get(STATUS_DETAILS_KEY);
  if (!(bytes instanceof Buffer)) return [];
  try {
    const status = fromBinary(StatusSchema, bytes);
    return status.details.flatMap((detail) => anyUnpack(detail, BadRequestSchema)?.fieldViolations ?? []).map(({ field, description }) => ({ field, description }));
  } catch {
    // A malformed trailer must not hide the status itself.
    return [];
  }
}
