import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_PAYLOAD_BYTES, parseTriggerPayload, type ParsedTrigger } from '../../../src/mqtt/trigger-payload.js';

const parse = (text: string): ParsedTrigger => parseTriggerPayload(Buffer.from(text));

function rejected(result: ParsedTrigger): { message: string; field: string | undefined; requestId: unknown } {
  if (result.ok) assert.fail('expected a rejection');
  return { message: result.error.message, field: result.error.field, requestId: result.requestId };
}

describe('MQTT trigger payloads', () => {
  it('takes empty, SNAP and SAVE as the default trigger', () => {
    for (const text of ['', '  \n', 'SNAP', 'snap\n', 'Save']) {
      assert.deepEqual(parse(text), { ok: true, request: {}, requestId: undefined }, JSON.stringify(text));
    }
  });

  it('passes the JSON trigger fields through, with the request id apart and null as absent', () => {
    const result = parse('{"reason":"door","label":"porch","before_s":1,"after_s":2,"formats":["jpg"],"stack":null,"request_id":"r-1"}');
    assert.deepEqual(result, { ok: true, request: { reason: 'door', label: 'porch', before_s: 1, after_s: 2, formats: ['jpg'] }, requestId: 'r-1' });
    assert.deepEqual(parse('{"stack":true}'), { ok: true, request: { stack: true }, requestId: undefined });
    assert.deepEqual(parse('{"request_id":42}'), { ok: true, request: {}, requestId: 42 });
  });

  it('leaves value checks to the core: a wrong type goes through unchanged', () => {
    assert.deepEqual(parse('{"before_s":"3"}'), { ok: true, request: { before_s: '3' }, requestId: undefined });
  });

  it('names the problem in the one template, and keeps the request id when it could read it', () => {
    assert.match(rejected(parse('{"label": ')).message, /^payload: expected empty, SNAP or a JSON object, received invalid JSON \(/);
    assert.deepEqual(rejected(parse('[1,2]')), { message: 'payload: expected empty, SNAP or a JSON object, received an array', field: 'payload', requestId: undefined });
    assert.deepEqual(rejected(parse('FIRE')).field, 'payload');
    assert.deepEqual(rejected(parse('{"colour":"red","request_id":"r-2"}')), {
      message: 'colour: unknown field; expected one of reason, label, before_s, after_s, formats, stack, request_id',
      field: 'colour',
      requestId: 'r-2',
    });
    assert.deepEqual(rejected(parse('{"request_id":{"a":1}}')), {
      message: 'request_id: expected a string of at most 128 characters or a number, received an object',
      field: 'request_id',
      requestId: undefined,
    });
    assert.equal(rejected(parse(`{"request_id":"${'x'.repeat(129)}"}`)).field, 'request_id');
  });

  it('refuses payloads over the size limit before parsing them', () => {
    const big = JSON.stringify({ reason: 'x'.repeat(MAX_PAYLOAD_BYTES) });
    assert.equal(rejected(parse(big)).message, `payload: expected at most ${MAX_PAYLOAD_BYTES} bytes, received ${big.length}`);
  });
});
