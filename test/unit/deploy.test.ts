import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { loadConfig } from '../../src/core/config/load-config.js';
import { ROOT } from '../helpers/service.js';

const run = promisify(execFile);
const UNIT = path.join(ROOT, 'deploy/picam.service');

function directives(text: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const match = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (match) found.set(match[1]!, [...(found.get(match[1]!) ?? []), match[2]!]);
  }
  return found;
}

describe('deploy/: the systemd unit and starting config', () => {
  it('the unit passes systemd-analyze verify', async () => {
    // Fails (never skips) without systemd-analyze: Debian's systemd package provides it.
    const { stderr } = await run('systemd-analyze', ['verify', UNIT]);
    // verify warns about the unit's absent paths on this machine only through stderr lines naming them.
    assert.doesNotMatch(stderr, /Unknown key|Unknown section|Invalid|Failed to parse/i, stderr);
  });

  it('runs the built service unprivileged in the video group, restarts on failure but not on a bad config, logs to the journal', async () => {
    const unit = directives(await readFile(UNIT, 'utf8'));
    assert.deepEqual(unit.get('User'), ['picam']);
    assert.deepEqual(unit.get('SupplementaryGroups'), ['video']);
    // Not /usr/bin/node: on Raspberry Pi OS Bookworm that is apt's Node 18, too old for picam.
    assert.match(unit.get('ExecStart')![0]!, /^\/usr\/bin\/env node \/opt\/picam\/dist\/src\/start\.js --config \/etc\/picam\/config\.json$/);
    assert.deepEqual(unit.get('Restart'), ['on-failure']);
    assert.deepEqual(unit.get('RestartPreventExitStatus'), ['2'], 'exit 2 is a bad config (see src/main.ts)');
    assert.deepEqual(unit.get('StandardOutput'), ['journal']);
    const stopS = Number(unit.get('TimeoutStopSec')![0]);
    const config = (await loadConfig(path.join(ROOT, 'deploy/config.json'), true)).config;
    assert.ok(stopS > config.export.shutdown_grace_s + 5, 'systemd waits longer than the export grace period');
  });

  it('deploy/config.json is a valid config with events where the unit may write', async () => {
    const { config } = await loadConfig(path.join(ROOT, 'deploy/config.json'), true);
    assert.equal(config.export.base_dir, '/var/lib/picam/events');
    assert.ok(config.export.max_bytes > 0, 'a disk budget, so an SD card never fills');
    const unit = directives(await readFile(UNIT, 'utf8'));
    assert.deepEqual(unit.get('StateDirectory'), ['picam'], '/var/lib/picam is writable under ProtectSystem=strict');
  });
});
