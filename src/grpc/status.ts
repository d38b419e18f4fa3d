import * as grpc from '@grpc/grpc-js';
import { create, toBinary } from '@bufbuild/protobuf';
import { anyPack } from '@bufbuild/protobuf/wkt';
import type { ErrorCode, PicamError } from '../core/errors.js';
import { BadRequestSchema } from '../gen/google/rpc/error_details_pb.js';
import { StatusSchema } from '../gen/google/rpc/status_pb.js';

/** The one mapping from core error codes to gRPC status codes. */
export const GRPC_STATUS: Record<ErrorCode, grpc.status> = {
  INVALID_ARGUMENT: grpc.status.INVALID_ARGUMENT,
  NOT_FOUND: grpc.status.NOT_FOUND,
  FAILED_PRECONDITION: grpc.status.FAILED_PRECONDITION,
  RESOURCE_EXHAUSTED: grpc.status.RESOURCE_EXHAUSTED,
  UNAVAILABLE: grpc.status.UNAVAILABLE,
  BUSY: grpc.status.RESOURCE_EXHAUSTED,
  UNAUTHENTICATED: grpc.status.UNAUTHENTICATED,
  INTERNAL: grpc.status.INTERNAL,
};

/** The standard rich-error trailer that grpcio-status, grpc-go's status.Details and our TS client decode. */
export const STATUS_DETAILS_KEY = 'grpc-status-details-bin';

export function toServiceError(error: PicamError): grpc.ServiceError {
  const code = GRPC_STATUS[error.code];
  const metadata = new grpc.Metadata();
  if (error.field) {
    // Kept beside the standard details for callers that read plain metadata (grpcurl -v shows it).
    metadata.set('picam-field', error.field);
    const badRequest = create(BadRequestSchema, {
      fieldViolations: [{ field: error.field, description: error.message }],
    });
    const status = create(StatusSchema, {
      code,
      message: error.message,
      details: [anyPack(BadRequestSchema, badRequest)],
    });
    metadata.set(STATUS_DETAILS_KEY, Buffer.from(toBinary(StatusSchema, status)));
  }
  return Object.assign(new Error(error.message), {
    code,
    details: error.message,
    metadata,
  });
}
