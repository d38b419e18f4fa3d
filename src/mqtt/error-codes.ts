import type { ErrorCode } from '../core/index.js';

/**
 * The one mapping from core error codes to the `error_code` of MQTT
 * `rejected` and `finished` messages. MQTT has no status codes of its own,
 * so each core code is sent by its own name; the table exists so that a new
 * core code must be given its MQTT spelling here, like every other adapter.
 */
export const MQTT_ERROR_CODE: Record<ErrorCode, string> = {
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  NOT_FOUND: 'NOT_FOUND',
  FAILED_PRECONDITION: 'FAILED_PRECONDITION',
  RESOURCE_EXHAUSTED: 'RESOURCE_EXHAUSTED',
  UNAVAILABLE: 'UNAVAILABLE',
  BUSY: 'BUSY',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  INTERNAL: 'INTERNAL',
};
