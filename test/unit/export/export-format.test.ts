import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventDateFolder, eventTimeMs, isEventId, newEventId } from '../../../src/core/export/event-id.js';
import { npyHeader } from '../../../src/core/export/npy.js';
import { FrameStacker } from '../../../src/core/export/stacker.js';

describe('npy header', () => {
  it('is a version 1.0 header padded to 64 bytes', () => {
    const header = npyHeader([240, 320, 3]);
    assert.equal(header.subarray(0, 6).toString('latin1'), '\x93NUMPY');
    assert.equal(header[6], 1);
    assert.equal(header[7], 0);
    assert.equal(header.length % 64, 0);
    assert.equal(header.readUInt16LE(8), header.length - 10);
    const text = header.subarray(10).toString('latin1');
    assert.match(text, /^\{'descr': '\|u1', 'fortran_order': False, 'shape': \(240, 320, 3\), \} *\n$/);
    assert.match(npyHeader([5]).toString('latin1'), /'shape': \(5,\)/);
  });
});

describe('event ids', () => {
  it('sort by time, never repeat, and name their date folder', () => {
    const now = Date.UTC(2026, 10, 25, 21, 5, 52, 123);
    const ids = Array.from({ length: 50 }, () => newEventId(now));
    assert.equal(new Set(ids).size, 50);
    assert.deepEqual([...ids].sort(), ids);
    assert.ok(ids.every(isEventId));
    assert.match(ids[0]!, /^20261125T210552123Z-[0-9a-f]{6}$/);
    assert.equal(eventDateFolder(ids[0]!), '2026-11-25');
    assert.equal(eventTimeMs(ids[0]!), now);
    assert.equal(isEventId('../../etc'), false);
  });
});

describe('FrameStacker', () => {
  it('averages count frames into one brighter image', async () => {
    const stacker = new FrameStacker(4);
    const frame = (v: number) => ({ data: Buffer.alloc(12, v), width: 2, height: 2, channels: 3 as const });
    assert.equal(await stacker.add(1, frame(10)), undefined);
    assert.equal(await stacker.add(2, frame(12)), undefined);
    assert.equal(await stacker.add(3, frame(8)), undefined);
    const out = await stacker.add(4, frame(10));
    assert.deepEqual(out?.ids, [1, 2, 3, 4]);
    // Mean 10, gain capped at 4 (the plain sum): 40.
    assert.ok(out.image.data.every((v) => v === 40));
  });

  it('starts each stack from zero and reads shared (export pool) frames in place', async () => {
    const stacker = new FrameStacker(2);
    const shared = (v: number) => {
      const data = Buffer.from(new SharedArrayBuffer(12));
      data.fill(v);
      return { data, width: 2, height: 2, channels: 3 as const };
    };
    assert.equal(await stacker.add(1, shared(200)), undefined);
    const first = await stacker.add(2, shared(200));
    // Mean 200 is above the target: gain 1, the plain average.
    assert.ok(first!.image.data.every((v) => v === 200));
    assert.equal(await stacker.add(3, shared(20)), undefined);
    const second = await stacker.add(4, shared(30));
    assert.deepEqual(second?.ids, [3, 4]);
    // Mean 25, gain capped at 2: the plain sum 50, nothing left over from the first stack.
    assert.ok(second.image.data.every((v) => v === 50));
  });
});
