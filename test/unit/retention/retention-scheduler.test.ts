import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { it } from 'node:test';
import type { Clock } from '../../../src/core/clock.js';
import { parseConfig } from '../../../src/core/config/load-config.js';
import { createLogger } from '../../../src/core/logger.js';
import { RetentionScheduler } from '../../../src/core/retention/retention-scheduler.js';
import { LiveConfig } from '../../../src/core/runtime-config/live-config.js';

it('retention runs on the injected clock, spares pending events, and a failing run is logged, not thrown', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'picam-retention-'));
  try {
    const ids = ['20260101T000000000Z-aaaaaa', '20260102T000000000Z-bbbbbb', '20260109T000000000Z-cccccc'];
    for (const id of ids) {
      const folder = path.join(dir, 'events', `${id.slice(0, 4)}-${id.slice(4, 6)}-${id.slice(6, 8)}`, id);
      await mkdir(folder, { recursive: true });
      await writeFile(path.join(folder, 'frame.jpg'), 'x');
    }
    const config = new LiveConfig(parseConfig({ export: { base_dir: 'events', max_age_days: 5 } }), path.join(dir, 'config.json'));
    // Ten days after the first event: only the clock, not the machine's date, makes the first two old.
    const clock: Clock = { wallMs: () => Date.parse('2026-01-10T00:00:00Z'), monotonicMs: () => 0 };
    const scheduler = new RetentionScheduler({ config, isPending: (id) => id === ids[1], logger: createLogger('silent'), clock });
    await scheduler.start();
    scheduler.stop();
    const left = (await readdir(path.join(dir, 'events'), { recursive: true })).filter((p) => /Z-[a-f]{6}$/.test(p)).map((p) => path.basename(p)).sort();
    assert.deepEqual(left, [ids[1], ids[2]], 'the old event deleted, the pending old one and the recent one kept');

    // Runs are chained: the second starts after the first, and neither rejects on a broken folder.
    await writeFile(path.join(dir, 'blocker'), 'not a folder');
    config.current = parseConfig({ export: { base_dir: 'blocker/events', max_age_days: 5 } });
    await Promise.all([scheduler.retain(), scheduler.retain()]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
