import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PackedStackSum, stackAdd, stackFinish } from '../../../src/core/pixels/stack-sum.js';

describe('PackedStackSum', () => {
  it('gives the same image as a one-sum-per-byte accumulator, for odd lengths and unaligned views', () => {
    for (const [length, frames, offset] of [[1027, 4, 0], [33, 3, 1], [12, 256, 0]] as const) {
      const packed = new PackedStackSum(length);
      const plain = new Uint32Array(length);
      const backing = new Uint8Array(length + offset);
      for (let f = 0; f < frames; f++) {
        const data = backing.subarray(offset);
        for (let i = 0; i < length; i++) data[i] = (i * 31 + f * 17 + ((i * f) % 7)) & (f % 2 ? 255 : 63);
        packed.add(data, f === 0);
        stackAdd(plain, data, f === 0);
      }
      const a = new Uint8Array(length);
      const b = new Uint8Array(length);
      packed.finish(frames, a);
      stackFinish(plain, frames, b);
      assert.deepEqual(a, b, `length ${length}, ${frames} frames, offset ${offset}`);
    }
  });

  it('holds 256 frames of 255 in a lane without carrying into the next byte', () => {
    const packed = new PackedStackSum(8);
    const white = new Uint8Array(8).fill(255);
    for (let f = 0; f < 256; f++) packed.add(white, f === 0);
    assert.equal(packed.total(), 256 * 255 * 8);
  });
});
