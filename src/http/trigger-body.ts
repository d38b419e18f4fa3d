import type { IncomingMessage } from 'node:http';
import { description, invalidField, PicamError, type TriggerRequest } from '../core/index.js';

const MAX_BODY_BYTES = 16 * 1024;

/**
 * The trigger arguments from a JSON body (or none). Only JSON is accepted:
 * a cross-site HTML form cannot send it, so another web page cannot make a
 * visitor's browser fire the camera.
 */
export async function triggerBody(req: IncomingMessage): Promise<Omit<TriggerRequest, 'source'>> {
  const type = req.headers['content-type'] ?? '';
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > MAX_BODY_BYTES) throw invalidField('body', `at most ${MAX_BODY_BYTES} bytes`, description(`${size} bytes so far`));
    chunks.push(chunk);
  }
  if (!type.startsWith('application/json')) {
    throw invalidField('body', 'Content-Type: application/json (an empty object {} for the defaults)', description(type === '' ? 'no Content-Type' : `Content-Type: ${type.slice(0, 64)}`));
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw invalidField('body', 'a JSON object', description(`invalid JSON (${(error as Error).message})`));
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalidField('body', 'a JSON object', Array.isArray(body) ? description('an array') : body);
  // Keys and types are checked by the core's one strict trigger schema, which names the field.
  if (Object.hasOwn(body, 'source')) throw new PicamError('INVALID_ARGUMENT', 'source: not a request field (the server records "http")', { field: 'source' });
  return body;
}
