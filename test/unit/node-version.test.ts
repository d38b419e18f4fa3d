import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { nodeVersionProblem } from '../../src/node-version.js';
import { ROOT } from '../helpers/service.js';

const run = promisify(execFile);
const START = path.join(ROOT, 'dist/src/start.js');

describe('Node version check', () => {
  it('accepts 20.9 and newer, refuses older with the versions named', () => {
    for (const ok of ['20.9.0', 'v20.10.1', '22.0.0', '24.3.0']) assert.equal(nodeVersionProblem(ok), undefined, ok);
    for (const old of ['18.19.0', '20.8.1', 'v16.20.2']) assert.match(nodeVersionProblem(old) ?? '', new RegExp(`Node 20\\.9\\.0 or newer is needed, this is Node ${old.replace('v', '').replace(/\./g, '\\.')}`));
  });

  it('the picam entry refuses an old Node with one line and exit 2, before loading anything that would crash', async () => {
    // Runs the real entry with process.versions.node faked to Bookworm's apt Node, by a preload.
    const fake = `data:text/javascript,Object.defineProperty(process, 'versions', { value: { ...process.versions, node: '18.19.0' } })`;
    const result = await run(process.execPath, ['--import', fake, START, '--version']).then(
      () => assert.fail('expected exit 2'),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    assert.equal(result.code, 2);
    assert.equal(result.stdout, '', 'main.js never ran (it would print the version)');
    assert.match(result.stderr, /^picam: Node 20\.9\.0 or newer is needed, this is Node 18\.19\.0 \(.+\); see README "Install on a Raspberry Pi"\n$/);
  });

  it('on a current Node the entry runs the service command', async () => {
    const { stdout } = await run(process.execPath, [START, '--version']);
    assert.match(stdout, /^\d+\.\d+\.\d+/);
  });
});
