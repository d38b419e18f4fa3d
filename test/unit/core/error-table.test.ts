import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { ERROR_CODES } from '../../../src/core/errors.js';
import { GRPC_STATUS } from '../../../src/grpc/status.js';
import { HTTP_ADAPTER_STATUS, HTTP_STATUS } from '../../../src/http/http-status.js';
import { LINE_CODE, LINE_ERROR_CODES } from '../../../src/line/reply-codes.js';
import { MQTT_ERROR_CODE } from '../../../src/mqtt/error-codes.js';
import { ROOT } from '../../helpers/service.js';

interface Row {
  core: string;
  grpc: string;
  line: string;
  http: string;
  mqtt: string;
}

/** The README's error table, between its markers; `—` cells become ''. */
async function readmeRows(): Promise<Row[]> {
  const readme = await readFile(path.join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('<!-- error-table -->');
  const end = readme.indexOf('<!-- /error-table -->');
  assert.ok(start >= 0 && end > start, 'README has the error table markers');
  return readme
    .slice(start, end)
    .split('\n')
    .filter((line) => line.startsWith('| ') && !line.startsWith('| core code') && !line.startsWith('| ---'))
    .map((line) => {
      const [core = '', grpcCell = '', lineCell = '', http = '', mqtt = ''] = line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim().replace(/`/g, ''))
        .map((cell) => (cell === '—' ? '' : cell));
      return { core, grpc: grpcCell, line: lineCell, http, mqtt };
    });
}

/**
 * Holds the closed set of core codes, each adapter's one mapping table and
 * the README together: a code added to one and not the others fails here.
 */
describe('the error table', () => {
  it('every adapter maps exactly the core codes', () => {
    const core = [...ERROR_CODES].sort();
    for (const [name, table] of Object.entries({ grpc: GRPC_STATUS, line: LINE_CODE, http: HTTP_STATUS, mqtt: MQTT_ERROR_CODE })) {
      assert.deepEqual(Object.keys(table).sort(), core, `${name} maps every core code and no other`);
    }
  });

  it('the README lists each core code with exactly the adapters\' mappings', async () => {
    const rows = (await readmeRows()).filter((row) => row.core !== '');
    assert.deepEqual(rows.map((row) => row.core).sort(), [...ERROR_CODES].sort(), 'one README row per core code');
    for (const row of rows) {
      const code = row.core as (typeof ERROR_CODES)[number];
      assert.equal(row.grpc, grpc.status[GRPC_STATUS[code]], `${code}: gRPC`);
      assert.equal(row.line, LINE_CODE[code], `${code}: line`);
      assert.equal(row.http, String(HTTP_STATUS[code]), `${code}: HTTP`);
      assert.equal(row.mqtt, MQTT_ERROR_CODE[code], `${code}: MQTT`);
    }
  });

  it('codes only one adapter has are in the README too, and nothing else is', async () => {
    const rows = (await readmeRows()).filter((row) => row.core === '');
    const mappedLine = new Set<string>(Object.values(LINE_CODE));
    const lineOnly = LINE_ERROR_CODES.filter((code) => !mappedLine.has(code));
    assert.deepEqual(rows.filter((row) => row.line !== '').map((row) => row.line).sort(), [...lineOnly].sort(), 'line-only codes');
    const httpOnly = Object.entries(HTTP_ADAPTER_STATUS).map(([code, status]) => `${status} ${code}`);
    assert.deepEqual(rows.filter((row) => row.http !== '').map((row) => row.http).sort(), httpOnly.sort(), 'HTTP-only codes');
    // An HTTP-only code must not reuse a status a core code has: the status alone tells them apart.
    for (const status of Object.values(HTTP_ADAPTER_STATUS)) assert.ok(!Object.values(HTTP_STATUS).includes(status), `${status} is HTTP's own`);
    for (const row of rows) assert.equal([row.grpc, row.mqtt].join(''), '', 'no gRPC or MQTT code outside the core set');
  });
});
