import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { EventState } from '../../src/gen/picam/v1/camera_pb.js';
import { leftoverTempFiles, readManifest } from '../helpers/files.js';
import { cameraClient } from '../helpers/grpc-client.js';
import { startService } from '../helpers/service.js';
import { LineClient } from '../helpers/sockets.js';

async function folderBytes(root: string): Promise<number> {
  let total = 0;
  let names: string[] | undefined;
  // A recursive listing fails when retention deletes a folder it is walking: list again.
  for (let attempt = 0; names === undefined; attempt++) {
    names = await readdir(root, { recursive: true }).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 5) throw error;
      return undefined;
    });
  }
  for (const name of names) {
    // Retention may delete a folder between the listing and the stat.
    const info = await stat(path.join(root, name)).catch(() => undefined);
    if (info?.isFile()) total += info.size;
  }
  return total;
}

describe('disk retention and recovery after a crash', () => {
  it('keeps events within export.max_bytes by deleting the oldest, never the newest', async () => {
    const service = await startService({ export: { formats: ['npy'], save_before_s: 0.1, save_after_s: 0.1, max_bytes: 2_000_000 } });
    const camera = cameraClient(service.grpcAddress);
    try {
      const ids: string[] = [];
      for (let i = 0; i < 6; i++) {
        const event = await camera.trigger({ wait: true }); // ~6 npy frames of 230 KB: ~1.4 MB each
        assert.equal(event.state, EventState.COMPLETE);
        ids.push(event.eventId);
      }
      for (let i = 0; i < 50 && (await folderBytes(service.eventsDir)) > 2_000_000; i++) await new Promise((r) => setTimeout(r, 100));
      const kept = (await camera.listEvents({ pageSize: 100 })).events.map((e) => e.eventId);
      assert.ok(kept.includes(ids.at(-1)!), 'the newest event is kept');
      assert.ok(!kept.includes(ids[0]!), 'the oldest event is gone');
      assert.ok((await folderBytes(service.eventsDir)) <= 2_000_000, 'within budget');
      assert.ok(service.logs.some((l) => typeof l.msg === 'string' && l.msg.startsWith('retention deleted')));
    } finally {
      camera.close();
      assert.equal(await service.stop(), 0);
    }
  });

  it('after SIGKILL mid-export, the next start removes temp files and marks the event partial', async () => {
    // A 30-50 s window's worst case (every frame held should the export stall) is reserved at trigger time: the budget must hold it.
    const first = await startService({ export: { formats: ['jpg', 'npy'], save_before_s: 0.5, save_after_s: 30, max_buffer_bytes: 400_000_000 } });
    const client = await LineClient.connect(first.linePort);
    const dir = (await client.command('SNAP')).split(' ')[2]!;
    client.destroy();
    for (let i = 0; i < 50 && (await readdir(dir)).filter((f) => f.endsWith('.npy')).length < 20; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await first.stop({ keep: true, signal: 'SIGKILL' }), null);
    // A crash can also leave a half-written file behind.
    await writeFile(path.join(dir, '.0000009999_20261125T000000000Z.jpg.abcd1234.tmp'), 'half');
    await assert.rejects(readFile(path.join(dir, 'event.json')), 'no manifest: the event never finished');

    const config = JSON.parse(await readFile(first.configFile, 'utf8')) as { export: Record<string, unknown> };
    const second = await startService({ export: { ...config.export, base_dir: first.eventsDir } });
    try {
      await second.waitForLog((l) => l.msg === 'repaired events left by an unclean stop');
      assert.deepEqual(await leftoverTempFiles(dir), []);
      const manifest = await readManifest(dir);
      assert.equal(manifest.state, 'partial');
      assert.ok(manifest.frames.length >= 20, `${manifest.frames.length} frames recovered`);
      assert.ok(manifest.frames.every((f) => f.files.length === 2));
      assert.match(manifest.missing[0]!.reason, /stopped before the event was finished/);
    } finally {
      assert.equal(await second.stop(), 0);
      await first.remove();
    }
  });

  it('at start, a complete manifest whose files are not all there becomes partial', async () => {
    const first = await startService({ export: { formats: ['jpg'] } });
    const camera = cameraClient(first.grpcAddress);
    const event = await camera.trigger({ beforeS: 0.2, afterS: 0.2, wait: true });
    camera.close();
    assert.equal(await first.stop({ keep: true }), 0);
    const manifest = await readManifest(event.dir);
    assert.equal(manifest.state, 'complete');
    const { unlink } = await import('node:fs/promises');
    await unlink(path.join(event.dir, manifest.frames[1]!.files[0]!));
    const second = await startService({ export: { base_dir: first.eventsDir } });
    try {
      await second.waitForLog((l) => l.msg === 'repaired events left by an unclean stop');
      const corrected = await readManifest(event.dir);
      assert.equal(corrected.state, 'partial');
      assert.ok(corrected.missing.some((m) => m.first_id === manifest.frames[1]!.frame_id && /files missing/.test(m.reason)));
    } finally {
      assert.equal(await second.stop(), 0);
      await first.remove();
    }
  });

  it('deletes events older than export.max_age_days at start', async () => {
    const first = await startService({});
    const old = path.join(first.eventsDir, '2020-01-01', '20200101T000000000Z-abcdef');
    await mkdir(old, { recursive: true });
    await writeFile(path.join(old, 'event.json'), '{}');
    assert.equal(await first.stop({ keep: true }), 0);
    const second = await startService({ export: { base_dir: first.eventsDir, max_age_days: 30 } });
    try {
      await assert.rejects(stat(old), 'the old event is gone');
      await assert.rejects(stat(path.dirname(old)), 'and its empty date folder');
    } finally {
      assert.equal(await second.stop(), 0);
      await first.remove();
    }
  });
});
