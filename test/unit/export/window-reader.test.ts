import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExportBuffer, windowNeed } from '../../../src/core/export/export-buffer.js';
import { FramePool } from '../../../src/core/export/frame-pool.js';
import { WindowReader, type WindowItem } from '../../../src/core/export/window-reader.js';
import { RingBuffer } from '../../../src/core/ring/ring-buffer.js';

const SLOT = 64;

/** A ring of `capacity` frames, each filled with its id's low byte, 10 ms apart on the monotonic clock. */
function ringOf(capacity: number): { ring: RingBuffer; push: () => number; now: () => number } {
  const ring = new RingBuffer(capacity, SLOT);
  let n = 0;
  const push = (): number => {
    n++;
    return ring.push(new Uint8Array(SLOT).fill(n & 0xff), { timestampMs: 1e12 + n * 10, monotonicMs: n * 10, exposureUs: 1000, gain: 1, darkScore: 50, night: false });
  };
  // The frames' monotonic clock: "now" is the newest frame's time, so a reader waiting at the head waits for the next push.
  return { ring, push, now: () => n * 10 };
}

/** A new macrotask: sources commit frames from I/O or timer callbacks, never in one synchronous burst. */
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function reservation(bytes: number) {
  const need = { bytes, arithmetic: `${bytes} bytes`, field: 'after_s' as const };
  return new ExportBuffer().reserve(need, bytes, 'test', { beforeS: 0, afterS: 1 });
}

describe('WindowReader', () => {
  it('a reader far slower than a 4-frame ring gets every frame of the window, bytes intact, by copying out before eviction', async () => {
    const { ring, push, now } = ringOf(4);
    for (let i = 0; i < 3; i++) push();
    const held = reservation(40 * SLOT);
    // Window: frames 2..31 (monotonic 20..310 ms).
    const reader = new WindowReader(ring, undefined, { firstId: 2, startMono: 20, endMono: 310, stallMs: 1000, monotonicNow: now }, new FramePool(SLOT, 2), held, new AbortController().signal);
    const got: WindowItem[] = [];
    const producer = (async () => {
      for (let i = 0; i < 40; i++) {
        push();
        await tick();
      }
    })();
    for await (const item of reader.items()) {
      got.push(item);
      if (item.kind === 'frame') {
        assert.ok(item.data.every((b) => b === (item.meta.id & 0xff)), `frame ${item.meta.id} not torn`);
        item.release();
      }
      // Five frames captured per frame read: the ring laps this reader over and over.
      for (let i = 0; i < 5; i++) await tick();
    }
    await producer;
    assert.deepEqual(got.filter((i) => i.kind === 'missing'), []);
    assert.deepEqual(
      got.map((i) => (i.kind === 'frame' ? i.meta.id : -1)),
      Array.from({ length: 30 }, (_, k) => k + 2),
    );
    assert.ok(reader.rescuedCount > 20, `${reader.rescuedCount} frames copied out ahead of the reader`);
    assert.equal(held.held, 0, 'every copy went back to the reservation');
    assert.ok(held.peak <= 40 * SLOT);
  });

  it('a ring that laps before the reader starts (trigger, then a slow mkdir) still hands out the window from its first frame, nothing missing', async () => {
    const { ring, push, now } = ringOf(3);
    for (let i = 0; i < 3; i++) push();
    const held = reservation(20 * SLOT);
    // Trigger at 35 ms with no before-window: the window is frames 4..13 (40..130 ms), none captured yet.
    const reader = new WindowReader(ring, undefined, { firstId: 4, startMono: 35, endMono: 130, stallMs: 1000, monotonicNow: now }, new FramePool(SLOT, 2), held, new AbortController().signal);
    // Six frames arrive before the export starts reading: the 3-frame ring drops frames 4..6, which were copied out.
    for (let i = 0; i < 6; i++) {
      push();
      await tick();
    }
    const producer = (async () => {
      for (let i = 0; i < 10; i++) {
        push();
        await tick();
      }
    })();
    const got: WindowItem[] = [];
    for await (const item of reader.items()) {
      got.push(item);
      if (item.kind === 'frame') item.release();
    }
    await producer;
    assert.deepEqual(got.filter((i) => i.kind === 'missing'), []);
    assert.deepEqual(
      got.map((i) => (i.kind === 'frame' ? i.meta.id : -1)),
      Array.from({ length: 10 }, (_, k) => k + 4),
    );
  });

  it('packed JPEG ring: frames 10x apart in size, evicted by bytes, all reach a slow reader intact', async () => {
    // Up to 4 KB a frame in a 16 KB region: 4 large frames or ~40 small ones; one acquire may evict several small ones.
    const ring = new RingBuffer(64, 4096, 16384);
    let n = 0;
    const push = (): number => {
      n++;
      const size = n % 5 === 0 ? 4000 : 400;
      return ring.push(new Uint8Array(size).fill(n & 0xff), { timestampMs: 1e12 + n * 10, monotonicMs: n * 10, exposureUs: 1000, gain: 1, darkScore: 50, night: false });
    };
    const now = (): number => n * 10;
    for (let i = 0; i < 3; i++) push();
    const held = reservation(200_000);
    const reader = new WindowReader(ring, undefined, { firstId: 1, startMono: 0, endMono: 600, stallMs: 1000, monotonicNow: now }, new FramePool(4096, 2), held, new AbortController().signal);
    const producer = (async () => {
      for (let i = 0; i < 70; i++) {
        push();
        await tick();
      }
    })();
    const ids: number[] = [];
    const missing: unknown[] = [];
    for await (const item of reader.items()) {
      if (item.kind === 'missing') {
        missing.push(item.range);
        continue;
      }
      assert.equal(item.data.length, item.meta.id % 5 === 0 ? 4000 : 400);
      assert.ok(item.data.every((b) => b === (item.meta.id & 0xff)), `frame ${item.meta.id} not torn`);
      ids.push(item.meta.id);
      item.release();
      for (let i = 0; i < 3; i++) await tick();
    }
    await producer;
    assert.deepEqual(missing, []);
    assert.deepEqual(ids, Array.from({ length: 60 }, (_, k) => k + 1));
    assert.ok(reader.rescuedCount > 0);
  });

  it('a reader that keeps up copies nothing out ahead', async () => {
    const { ring, push, now } = ringOf(16);
    push();
    const reader = new WindowReader(ring, undefined, { firstId: 1, startMono: 0, endMono: 100, stallMs: 1000, monotonicNow: now }, new FramePool(SLOT, 2), reservation(0), new AbortController().signal);
    const producer = (async () => {
      for (let i = 0; i < 12; i++) {
        await tick();
        push();
      }
    })();
    const ids: number[] = [];
    for await (const item of reader.items()) {
      if (item.kind === 'frame') {
        ids.push(item.meta.id);
        item.release();
      }
    }
    await producer;
    assert.deepEqual(ids, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.equal(reader.rescuedCount, 0);
  });

  it('frames the reservation cannot hold are reported missing with that reason, not passed off', async () => {
    const { ring, push, now } = ringOf(4);
    push();
    const reader = new WindowReader(ring, undefined, { firstId: 1, startMono: 0, endMono: 200, stallMs: 1000, monotonicNow: now }, new FramePool(SLOT, 1), reservation(2 * SLOT), new AbortController().signal);
    const producer = (async () => {
      for (let i = 0; i < 25; i++) {
        push();
        await tick();
      }
    })();
    const items: WindowItem[] = [];
    for await (const item of reader.items()) {
      items.push(item);
      if (item.kind === 'frame') item.release();
      for (let i = 0; i < 5; i++) await tick();
    }
    await producer;
    const missing = items.flatMap((i) => (i.kind === 'missing' ? [i.range] : []));
    assert.ok(missing.length > 0);
    assert.ok(missing.every((m) => /export\.max_buffer_bytes/.test(m.reason)), JSON.stringify(missing));
    const kept = items.filter((i) => i.kind === 'frame').length;
    const lost = missing.reduce((n, m) => n + m.last_id - m.first_id + 1, 0);
    assert.equal(kept + lost, 20, `every frame of the window is either kept or accounted for: ${JSON.stringify(missing)}`);
  });

  it('on abort stops and says which frames of the window were not handed out', async () => {
    const { ring, push, now } = ringOf(8);
    for (let i = 0; i < 3; i++) push();
    const abort = new AbortController();
    const reader = new WindowReader(ring, undefined, { firstId: 1, startMono: 0, endMono: 1000, stallMs: 1000, monotonicNow: now }, new FramePool(SLOT, 2), reservation(0), abort.signal);
    const ids: number[] = [];
    for await (const item of reader.items()) {
      if (item.kind !== 'frame') continue;
      ids.push(item.meta.id);
      item.release();
      if (ids.length === 2) abort.abort(new Error('stop'));
    }
    assert.deepEqual(ids, [1, 2]);
    assert.deepEqual(reader.remaining('cut by shutdown'), { first_id: 3, last_id: 3, reason: 'cut by shutdown' });
  });
});

describe('export buffer arithmetic', () => {
  it('reckons the raw frames held plus after_s x rate of frames to come', () => {
    const need = windowNeed({ beforeS: 1, afterS: 2, framerate: 30, heldFrames: 30, heldBytes: 30 * 1_382_400, frameBytes: 1_382_400 });
    assert.equal(need.bytes, 90 * 1_382_400);
    assert.equal(need.arithmetic, '30 frames in the ring (41.5 MB) + 2 s x 30 fps = 60 frames x 1382400 bytes (82.9 MB) = 124.4 MB');
    assert.equal(need.field, 'after_s');
    assert.equal(windowNeed({ beforeS: 3, afterS: 0.5, framerate: 30, heldFrames: 90, heldBytes: 90e6, frameBytes: 1e6 }).field, 'before_s');
  });

  it('refuses a window larger than the budget (INVALID_ARGUMENT) and one that does not fit beside pending events (RESOURCE_EXHAUSTED)', () => {
    const buffer = new ExportBuffer();
    const window = { beforeS: 0, afterS: 1 };
    const need = (bytes: number) => ({ bytes, arithmetic: `${bytes} bytes`, field: 'after_s' as const });
    assert.throws(() => buffer.reserve(need(101), 100, 'as configured', window), (e: { code: string; field: string; message: string }) => {
      assert.equal(e.code, 'INVALID_ARGUMENT');
      assert.equal(e.field, 'after_s');
      assert.match(e.message, /^after_s: expected a window whose frames fit export\.max_buffer_bytes \(0\.0 MB, as configured\), received 0 \+ 1 s: 101 bytes;/);
      return true;
    });
    const a = buffer.reserve(need(60), 100, 'as configured', window);
    assert.equal(buffer.reserved, 60);
    assert.throws(() => buffer.reserve(need(41), 100, 'as configured', window), (e: { code: string; field: string; message: string }) => {
      assert.equal(e.code, 'RESOURCE_EXHAUSTED');
      assert.equal(e.field, 'export.max_buffer_bytes');
      assert.match(e.message, /reserved by 1 events being written/);
      return true;
    });
    const b = buffer.reserve(need(40), 100, 'as configured', window);
    a.release();
    a.release();
    assert.equal(buffer.reserved, 40, 'a second release gives nothing back twice');
    b.release();
    assert.equal(buffer.reserved, 0);
  });

  it('a reservation hands out at most its bytes', () => {
    const r = reservation(100);
    assert.equal(r.take(60), true);
    assert.equal(r.take(41), false);
    assert.equal(r.held, 60);
    r.give(60);
    assert.equal(r.take(100), true);
    assert.equal(r.peak, 100);
  });
});
