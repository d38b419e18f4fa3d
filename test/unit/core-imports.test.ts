import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { it } from 'node:test';
import { ROOT } from '../helpers/service.js';

/** The core knows no transport: adapters depend on it, never the reverse. */
it('src/core imports no gRPC, generated code or adapter', async () => {
  const core = path.join(ROOT, 'src/core');
  const files = (await readdir(core, { recursive: true })).filter((f) => f.endsWith('.ts'));
  assert.ok(files.length > 10);
  const forbidden = /from ['"](@grpc\/|@bufbuild\/|(\.\.\/)+(grpc|line|gen)\/)/;
  const offenders = [];
  for (const file of files) {
    const text = await readFile(path.join(core, file), 'utf8');
    if (forbidden.test(text)) offenders.push(file);
  }
  assert.deepEqual(offenders, []);
});
