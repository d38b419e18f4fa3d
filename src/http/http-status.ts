import type { ServerResponse } from 'node:http';
import type { ErrorCode } from '../core/index.js';

/**
 * The one mapping from core error codes to HTTP status codes. Every error
 * response of the HTTP adapter goes through `sendError` with a code from
 * here or from HTTP_ADAPTER_STATUS, so no status is chosen anywhere else.
 */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  INVALID_ARGUMENT: 400,
  NOT_FOUND: 404,
  FAILED_PRECONDITION: 409,
  // A full disk: the caller may retry once space is freed.
  RESOURCE_EXHAUSTED: 507,
  UNAVAILABLE: 503,
  // Too many pending events (export.max_pending_events): 429 tells the caller to slow down and retry.
  BUSY: 429,
  UNAUTHENTICATED: 401,
  INTERNAL: 500,
};

/** Refusals only HTTP has: the web-origin guard (request-guard.ts) and a method a path does not take. */
export const HTTP_ADAPTER_STATUS = {
  PERMISSION_DENIED: 403,
  METHOD_NOT_ALLOWED: 405,
} as const;

export type HttpErrorCode = ErrorCode | keyof typeof HTTP_ADAPTER_STATUS;

export function httpStatus(code: HttpErrorCode): number {
  return code in HTTP_ADAPTER_STATUS ? HTTP_ADAPTER_STATUS[code as keyof typeof HTTP_ADAPTER_STATUS] : HTTP_STATUS[code as ErrorCode];
}

/** The JSON error body every refusal has: `{"code", "error", "field"?}`. */
export function sendError(res: ServerResponse, code: HttpErrorCode, message: string, field?: string): void {
  sendJson(res, httpStatus(code), { code, error: message, ...(field ? { field } : {}) });
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store' });
  res.end(text);
}
