import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FrameStacker } from '../../../src/core/export/stacker.js';
import { StackSum, stackReference } from '../../../src/core/pixels/stack-sum.js';
import { PAGE_BYTES } from '../../../src/core/pixels/wasm-assembler.js';

/** `frames` frames of `length` bytes (seeded, so a failure repeats), dark or bright by turns. */
function frames(length: number, count: number, seed: number): Uint8Array[] {
  let s = seed;
  return Array.from({ length: count }, (_, f) => {
    const frame = new Uint8Array(length);
    for (let i = 0; i < length; i++) {
      s = (s * 1103515245 + 12345) >>> 0;
      frame[i] = (s >>> 24) & (f % 2 ? 255 : 63);
    }
    return frame;
  });
}

function stacked(sum: StackSum, input: Uint8Array[], offset = 0): Uint8Array {
  for (const [f, frame] of input.entries()) {
    // An unaligned view when `offset` > 0: the copy into the stack's memory must not care.
    const backing = new Uint8Array(frame.length + offset);
    backing.set(frame, offset);
    sum.add(backing.subarray(offset), f === 0);
  }
  const out = new Uint8Array(input[0]!.length);
  sum.finish(input.length, out);
  return out;
}

function compare(a: Uint8Array, b: Uint8Array): { worst: number; differing: number } {
  let worst = 0;
  let differing = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    worst = Math.max(worst, d);
    if (d > 0) differing++;
  }
  return { worst, differing };
}

describe('StackSum', () => {
  it('sums in WebAssembly SIMD on this Node (not the JavaScript fallback)', () => {
    assert.equal(new StackSum(64).simd, true);
    assert.equal(new StackSum(64, new SharedArrayBuffer(PAGE_BYTES)).simd, false);
  });

  // Lengths with a tail past the last whole 16 bytes, one shorter than a step, and a 720p RGB frame.
  for (const [length, count, offset] of [[1027, 4, 0], [33, 3, 1], [12, 256, 0], [4096, 2, 3], [1280 * 720 * 3, 4, 0]] as const) {
    it(`${count} frames of ${length} bytes${offset ? ' (unaligned)' : ''}: within 1 of the formula, nearly all equal, SIMD and JavaScript identical`, () => {
      const input = frames(length, count, length + count);
      const reference = new Uint8Array(length);
      stackReference(input, reference);
      const simd = stacked(new StackSum(length), input, offset);
      // The JavaScript path: a plain shared buffer instead of a WebAssembly memory.
      const plain = stacked(new StackSum(length, new SharedArrayBuffer(Math.ceil((length * 4 + 192) / PAGE_BYTES) * PAGE_BYTES)), input, offset);
      const { worst, differing } = compare(simd, reference);
      assert.ok(worst <= 1, `worst difference ${worst}`);
      assert.ok(differing <= Math.max(1, length / 1000), `${differing} of ${length} bytes differ from the formula`);
      assert.deepEqual(plain, simd);
    });
  }

  it('holds 257 frames of 255 in a lane and totals them exactly', () => {
    const length = 48 + 5;
    const sum = new StackSum(length);
    const white = new Uint8Array(length).fill(255);
    for (let f = 0; f < 257; f++) sum.add(white, f === 0);
    assert.equal(sum.total(), 257 * 255 * length);
    const out = new Uint8Array(length);
    sum.finish(257, out);
    assert.deepEqual(out, white);
  });

  it('starts afresh at the first frame of the next stack', () => {
    const length = 100;
    const sum = new StackSum(length);
    for (const frame of frames(length, 3, 7)) sum.add(frame, false);
    const next = frames(length, 2, 9);
    const reference = new Uint8Array(length);
    stackReference(next, reference);
    const out = stacked(sum, next);
    assert.ok(compare(out, reference).worst <= 1);
    assert.equal(sum.total(), next.reduce((t, f) => t + f.reduce((a, b) => a + b, 0), 0));
  });
});

describe('FrameStacker (the stack worker)', () => {
  it('stacks frames in the worker as StackSum does on this thread', async () => {
    const length = 640 * 480 * 3;
    const input = frames(length, 8, 3);
    const stacker = new FrameStacker(4);
    const images: Uint8Array[] = [];
    for (const [i, frame] of input.entries()) {
      const shared = Buffer.from(new SharedArrayBuffer(length));
      shared.set(frame);
      const result = await stacker.add(i + 1, { data: shared, width: 640, height: 480, channels: 3 });
      if (result) {
        assert.deepEqual(result.ids, [i - 2, i - 1, i, i + 1]);
        images.push(result.image.data);
      }
    }
    assert.equal(images.length, 2);
    for (const [s, image] of images.entries()) assert.deepEqual(new Uint8Array(image), stacked(new StackSum(length), input.slice(s * 4, s * 4 + 4)));
  });
});
