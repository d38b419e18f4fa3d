import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ESLint } from 'eslint';
import { ROOT } from '../../helpers/service.js';

/**
 * The core knows no transport: adapters depend on it, never the reverse. The one guard is
 * eslint.config.js's no-restricted-imports for src/core; this proves it is in force on a core file.
 */
it('eslint refuses transport, generated-code and adapter imports in src/core', async () => {
  const eslint = new ESLint({ cwd: ROOT });
  const forbidden = ["'@grpc/grpc-js'", "'../../gen/picam/v1/camera_pb.js'", "'../grpc/status.js'", "'../line/line-server.js'", "'../http/metrics.js'", "'../mqtt/mqtt-bridge.js'", "'prom-client'"];
  const code = forbidden.map((spec, i) => `import * as m${i} from ${spec};\nexport const x${i} = m${i};\n`).join('');
  const [result] = await eslint.lintText(code, { filePath: `${ROOT}/src/core/errors.ts` });
  const refused = (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.line);
  assert.deepEqual(refused, forbidden.map((_, i) => 2 * i + 1));
  // The same imports are fine in an adapter.
  const [adapter] = await eslint.lintText(code, { filePath: `${ROOT}/src/grpc/status.ts` });
  assert.deepEqual((adapter?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports'), []);
});
