import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { stageFile, writeFileAtomic } from '../../../src/core/fs/atomic-write.js';

/** Bytes that differ from one position to the next (a shifted or padded copy shows). */
function pattern(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + seed + (i >> 12)) & 255;
  return out;
}

describe('writeFileAtomic / stageFile', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'picam-atomic-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes chunks byte for byte at sizes on both sides of the direct-write threshold and the 1 MB and 4 KB steps', async () => {
    // 1080p npy: a 128-byte header + 6220800 bytes (not a multiple of the block size); shared memory as the exporter hands it.
    const shared = Buffer.from(new SharedArrayBuffer(6_220_800));
    pattern(shared.length, 3).copy(shared);
    const cases: Buffer[][] = [
      [pattern(128, 1), shared],
      [pattern(1 << 20, 2)],
      [pattern(3, 4), pattern((1 << 20) - 3, 5), pattern(4097, 6)],
      [pattern(256 * 1024 - 1, 7)],
      [pattern(10, 8)],
      [],
    ];
    for (const [i, chunks] of cases.entries()) {
      const file = path.join(dir, `f${i}.bin`);
      const expected = Buffer.concat(chunks);
      assert.equal(await writeFileAtomic(file, chunks), expected.length);
      const got = await readFile(file);
      assert.equal(got.length, expected.length, `case ${i}: size`);
      assert.ok(got.equals(expected), `case ${i}: same bytes`);
    }
    assert.deepEqual((await readdir(dir)).filter((f) => f.endsWith('.tmp')), [], 'no temp file left');
  });

  it('a staged file has no final name until commit, and discard leaves nothing behind', async () => {
    const data = [pattern(2_000_000, 9)];
    const kept = await stageFile(path.join(dir, 'kept.npy'), data);
    const dropped = await stageFile(path.join(dir, 'dropped.npy'), data);
    const before = await readdir(dir);
    assert.ok(!before.includes('kept.npy') && !before.includes('dropped.npy'), 'neither under its final name before commit');
    assert.equal(before.length, 2, 'two temp files');
    assert.equal(await kept.commit(), 2_000_000);
    await dropped.discard();
    assert.deepEqual(await readdir(dir), ['kept.npy']);
    assert.ok((await readFile(path.join(dir, 'kept.npy'))).equals(data[0]!));
  });

  it('a discard after commit takes the final name back once the commit is done', async () => {
    const staged = await stageFile(path.join(dir, 'late.npy'), [pattern(300_000, 3)]);
    const committing = staged.commit();
    await staged.discard();
    assert.equal(await committing, 300_000);
    assert.deepEqual(await readdir(dir), []);
  });
});
