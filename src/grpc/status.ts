import * as grpc from '@grpc/grpc-js';
import type { ErrorCode, PicamError } from '../core/errors.js';

/** The one mapping from core error codes to gRPC status codes. */
const STATUS: Record<ErrorCode, grpc.status> = {
  INVALID_ARGUMENT: grpc.status.INVALID_ARGUMENT,
  NOT_FOUND: grpc.status.NOT_FOUND,
  FAILED_PRECONDITION: grpc.status.FAILED_PRECONDITION,
  RESOURCE_EXHAUSTED: grpc.status.RESOURCE_EXHAUSTED,
  UNAVAILABLE: grpc.status.UNAVAILABLE,
  BUSY: grpc.status.RESOURCE_EXHAUSTED,
  UNAUTHENTICATED: grpc.status.UNAUTHENTICATED,
  INTERNAL: grpc.status.INTERNAL,
};

export function toServiceError(error: PicamError): grpc.ServiceError {
  const metadata = new grpc.Metadata();
  if (error.field) metadata.set('picam-field', error.field);
  return Object.assign(new Error(error.message), {
    code: STATUS[error.code],
    details: error.message,
    metadata,
  });
}
