import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { eventDateFolder } from '../../src/core/export/event-id.js';
import { CameraService, EventState } from '../../src/gen/picam/v1/camera_pb.js';
import { leftoverTempFiles, waitForManifest } from '../helpers/files.js';
import { createClient } from '../helpers/grpc-client.js';
import { ROOT, runService, startService } from '../helpers/service.js';
import { LineClient } from '../helpers/sockets.js';

/**
 * A 1 MiB tmpfs, unmounted and removed after the test: it holds a few 320x240 npy frames (230 KB each),
 * then ENOSPC. Mounting needs root, as CI has; a failure here fails the test.
 */
async function smallDisk(t: TestContext): Promise<string> {
  const mountPoint = await mkdtemp(path.join(tmpdir(), 'picam-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mountPoint]);
  t.after(async () => {
    execFileSync('umount', [mountPoint]);
    await rm(mountPoint, { recursive: true, force: true });
  });
  return mountPoint;
}

describe('service lifecycle', () => {
  it('--version prints the package version', async () => {
    const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const result = await runService(['--version']);
    assert.equal(result.code, 0);
    assert.equal(result.stdout.trim(), pkg.version);
  });

  it('exits 2 naming the field when the config is invalid', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'picam-bad-'));
    try {
      const file = path.join(dir, 'config.json');
      await writeFile(file, JSON.stringify({ night: { min_dark_frames: -3 }, camera: { colour: true } }));
      const result = await runService(['--config', file]);
      assert.equal(result.code, 2);
      assert.match(result.stderr, /night\.min_dark_frames: expected integer >= 1, received -3/);
      assert.match(result.stderr, /camera\.colour: unknown field/);
      const missing = await runService(['--config', path.join(dir, 'nope.json')]);
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, /cannot read config/);
      const flag = await runService(['--colour']);
      assert.equal(flag.code, 2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('on SIGTERM cuts a long export after the grace period: partial manifest, no half files, exit 0', async () => {
    // A 30-50 s window's worst case (every frame held should the export stall) is reserved at trigger time: the budget must hold it.
    const service = await startService({ export: { save_after_s: 50, shutdown_grace_s: 0.5, max_buffer_bytes: 400_000_000 } });
    const client = await LineClient.connect(service.linePort);
    const reply = await client.command('SNAP');
    client.destroy();
    const dir = reply.split(' ')[2]!;
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(await service.stop({ keep: true }), 0);
    const manifest = await waitForManifest(dir, 0);
    assert.deepEqual(await leftoverTempFiles(service.eventsDir), []);
    await service.remove();
    assert.equal(manifest.state, 'partial');
    assert.ok(manifest.missing.some((m) => m.reason === 'cut by shutdown'), JSON.stringify(manifest.missing));
    assert.ok(manifest.frames.length > 0);
  });

  it('a full disk fails the trigger, not the service', async (t) => {
    const mountPoint = await smallDisk(t);
    const service = await startService({ export: { base_dir: mountPoint, formats: ['npy'], save_before_s: 0.5, save_after_s: 0.5 } });
    const client = await LineClient.connect(service.linePort);
    try {
      const reply = await client.command('SNAP wait');
      const match = /^ERR RESOURCE_EXHAUSTED (\S+) (partial|failed) frames=(\d+): disk full/.exec(reply) ?? assert.fail(reply);
      assert.ok(Number(match[3]) >= 3, 'the frames that fitted were written');
      // Whether the small manifest still fitted or not, the event reads back as partial.
      const camera = createClient(CameraService, service.grpcAddress);
      try {
        const detail = await camera.getEvent({ eventId: match[1]! });
        assert.equal(detail.event?.state, EventState.PARTIAL);
      } finally {
        camera.close();
      }
      assert.deepEqual(await leftoverTempFiles(mountPoint), [], 'no half-written file left behind');
      assert.match(await client.command('STATUS'), /^OK source=synthetic serving=1/, 'service still up');
      // Space returns (an operator deletes the event): the next trigger succeeds.
      await rm(path.join(mountPoint, eventDateFolder(match[1]!)), { recursive: true, force: true });
      const again = await client.command('SNAP wait before=0.1 after=0');
      assert.match(again, /^OK \S+ \S+ complete frames=\d+$/, 'recovers when space returns');
    } finally {
      client.destroy();
      assert.equal(await service.stop(), 0);
    }
  });

  it('a full disk in a mixed format set leaves no file of a frame it did not save', async (t) => {
    // A frame's jpg is renamed into place as soon as it is written; when its npy then hits ENOSPC,
    // that jpg must go again: every frame on disk is whole and counted.
    const mountPoint = await smallDisk(t);
    const service = await startService({ export: { base_dir: mountPoint, formats: ['jpg', 'npy'], save_before_s: 0.5, save_after_s: 0.5 } });
    const client = await LineClient.connect(service.linePort);
    try {
      const reply = await client.command('SNAP wait');
      const match = /^ERR RESOURCE_EXHAUSTED (\S+) (partial|failed) frames=(\d+): disk full/.exec(reply) ?? assert.fail(reply);
      const id = match[1]!;
      const dir = path.join(mountPoint, eventDateFolder(id), id);
      const names = (await readdir(dir)).filter((n) => !n.startsWith('.') && n !== 'event.json');
      const stems = new Map<string, string[]>();
      for (const name of names) {
        const [stem, ext] = name.split('.') as [string, string];
        stems.set(stem, [...(stems.get(stem) ?? []), ext].sort());
      }
      assert.ok(stems.size >= 1, 'the frames that fitted were written');
      for (const [stem, exts] of stems) assert.deepEqual(exts, ['jpg', 'npy'], `frame ${stem} is whole`);
      assert.equal(stems.size, Number(match[3]), 'every frame on disk is one the reply counts');
      assert.deepEqual(await leftoverTempFiles(mountPoint), [], 'no half-written file left behind');
    } finally {
      client.destroy();
      assert.equal(await service.stop(), 0);
    }
  });
});
