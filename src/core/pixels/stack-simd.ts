import { Code, functionBody, I32, memarg, name, section, simd, uleb, V128 } from './wasm-assembler.js';

/**
 * The dark-frame stacker's kernels in WebAssembly SIMD, 16 frame bytes a
 * step, on a memory the caller gives (stack-sum.ts lays it out):
 *
 * - `add(src, acc, blocks, lanes)` / `first(...)`: acc[i] (u16, one per frame
 *   byte) += src[i] (or = src[i] for the first frame of a stack), and the
 *   frame's byte sum into four u32 lanes at `lanes` (each lane takes at most
 *   4 x 255 a step, so frames up to ~67 MB cannot overflow it);
 * - `finish(acc, out, blocks, k)`: out[i] = min(255, (acc[i] x k + 2^15) >> 16),
 *   k the stack's scale in 1/65536 (at most 65536: acc x k + 2^15 stays below 2^32).
 *
 * The byte tail past the last whole 16 is left to the caller.
 */
export function stackModuleBytes(): Uint8Array {
  const accumulate = (first: boolean): Code => {
    // Params: src 0, acc 1, blocks 2, lanes 3. Locals: v128 4 (frame bytes), 5 (lane sums).
    const c = new Code();
    c.i32(0).s(simd.i32Splat).set(5);
    c.countDown(2, () => {
      c.get(0).s(simd.load, ...memarg(0)).set(4);
      for (const [extend, offset] of [[simd.i16ExtendLowI8U, 0], [simd.i16ExtendHighI8U, 16]] as const) {
        c.get(1);
        c.get(4).s(extend);
        if (!first) c.get(1).s(simd.load, ...memarg(offset)).s(simd.i16Add);
        c.s(simd.store, ...memarg(offset));
      }
      c.get(5).get(4).s(simd.i16ExtaddPairwiseI8U).s(simd.i32ExtaddPairwiseI16U).s(simd.i32Add).set(5);
      c.addTo(0, 16).addTo(1, 32);
    });
    c.get(3).get(5).s(simd.store, ...memarg(0));
    return c;
  };
  const finish = (): Code => {
    // Params: acc 0, out 1, blocks 2, k 3. Locals: v128 4 (k), 5 (2^15), 6 (255), 7 (8 sums).
    const c = new Code();
    c.get(3).s(simd.i32Splat).set(4);
    c.i32(1 << 15).s(simd.i32Splat).set(5);
    c.i32(255).s(simd.i16Splat).set(6);
    const scaled = (extend: number): void => {
      c.get(7).s(extend).get(4).s(simd.i32Mul).get(5).s(simd.i32Add).i32(16).s(simd.i32ShrU);
    };
    const eight = (offset: number): void => {
      c.get(0).s(simd.load, ...memarg(offset)).set(7);
      scaled(simd.i32ExtendLowI16U);
      scaled(simd.i32ExtendHighI16U);
      c.s(simd.i16NarrowI32U).get(6).s(simd.i16MinU);
    };
    c.countDown(2, () => {
      c.get(1);
      eight(0);
      eight(16);
      c.s(simd.i8NarrowI16U).s(simd.store, ...memarg(0));
      c.addTo(0, 32).addTo(1, 16);
    });
    return c;
  };
  const fourI32 = [0x60, 4, I32, I32, I32, I32, 0];
  const sharedMemory = [0x03, ...uleb(1), ...uleb(65536)];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, ...fourI32]),
    ...section(2, [1, ...name('env'), ...name('memory'), 0x02, ...sharedMemory]),
    ...section(3, [3, 0, 0, 0]),
    ...section(7, [3, ...name('add'), 0x00, 0, ...name('first'), 0x00, 1, ...name('finish'), 0x00, 2]),
    ...section(10, [3, ...functionBody([[2, V128]], accumulate(false)), ...functionBody([[2, V128]], accumulate(true)), ...functionBody([[4, V128]], finish())]),
  ]);
}
