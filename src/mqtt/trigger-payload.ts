import { description, invalidField, unknownField, type PicamError, type TriggerRequest } from '../core/index.js';

/** A caller's own id for a trigger, echoed in every message about it. */
export type RequestId = string | number;

export type ParsedTrigger =
  | { ok: true; request: Omit<TriggerRequest, 'source'>; requestId: RequestId | undefined }
  | { ok: false; error: PicamError; requestId: RequestId | undefined };

/** Far more than any trigger needs; a bigger payload is a mistake or an attack, not a trigger. */
export const MAX_PAYLOAD_BYTES = 4096;
const MAX_REQUEST_ID = 128;
const TRIGGER_KEYS = ['reason', 'label', 'before_s', 'after_s', 'formats', 'stack'] as const;
const KNOWN_KEYS = new Set<string>([...TRIGGER_KEYS, 'request_id']);

/**
 * Reads a trigger message: empty, `SNAP` (or `SAVE`, the manual's word), or a
 * JSON object with the trigger fields named as in the proto and the line
 * protocol. Only the shape is checked here; values go to the core as they
 * came, so `before_s: -1` gets the same message as from gRPC or `nc`. The
 * request id is read first, so a rejection can echo it even when the rest is bad.
 */
export function parseTriggerPayload(payload: Buffer): ParsedTrigger {
  let requestId: RequestId | undefined;
  if (payload.length > MAX_PAYLOAD_BYTES) {
    return reject(invalidField('payload', `at most ${MAX_PAYLOAD_BYTES} bytes`, payload.length));
  }
  const text = payload.toString('utf8').trim();
  if (text === '' || /^(snap|save)$/i.test(text)) return { ok: true, request: {}, requestId: undefined };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    return reject(invalidField('payload', 'empty, SNAP or a JSON object', description(`invalid JSON (${(error as Error).message})`)));
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return reject(invalidField('payload', 'empty, SNAP or a JSON object', Array.isArray(body) ? description('an array') : body));
  }
  const fields = body as Record<string, unknown>;
  const rawId = fields.request_id;
  if (typeof rawId === 'string' && rawId.length <= MAX_REQUEST_ID) requestId = rawId;
  else if (typeof rawId === 'number' && Number.isFinite(rawId)) requestId = rawId;
  else if (rawId !== undefined && rawId !== null) {
    return reject(invalidField('request_id', `a string of at most ${MAX_REQUEST_ID} characters or a number`, description(describe(rawId))));
  }
  const unknown = Object.keys(fields).find((key) => !KNOWN_KEYS.has(key));
  if (unknown !== undefined) {
    return reject(unknownField(unknown, [...KNOWN_KEYS]), requestId);
  }
  const request: Record<string, unknown> = {};
  // JSON null reads as "not given", as a missing key would.
  for (const key of TRIGGER_KEYS) if (fields[key] !== undefined && fields[key] !== null) request[key] = fields[key];
  // Unchecked on purpose: core.trigger validates every value and names the field.
  return { ok: true, request: request, requestId };

  function reject(error: PicamError, id: RequestId | undefined = requestId): ParsedTrigger {
    return { ok: false, error, requestId: id };
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `a string of ${value.length} characters`;
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'symbol' || typeof value === 'function') return typeof value;
  return `${value as number | bigint | boolean | undefined}`;
}
