import { Code, functionBody, I32, memarg, name, op, section, simd, V128 } from './wasm-assembler.js';

/**
 * I420 to RGB24 in WebAssembly SIMD (128-bit, 16 pixels of two rows a step),
 * assembled here from its opcodes so no compiler or binary has to ship.
 * The JavaScript loop it replaces costs ~11-36 ms of CPU per 1080p frame;
 * this one runs near memory speed (see BENCHMARKS.md, "I420 to RGB"), which
 * is what lets every format (jpg, png, npy, streams, the compressed tier)
 * share one cheap conversion.
 *
 * Arithmetic, per 2x2 block of luma sharing one U/V pair, in 16-bit lanes:
 *   u' = (U - 128) << 6, v' = (V - 128) << 6, y' = (Y - y0) << 6
 *   q(a, k) = (a * k + 2^14) >> 15            (i16x8.q15mulr_sat_s)
 *   R = y + q(v', rv), G = y - q(u', gu) - q(v', gv), B = y + q(u', bu), y = q(y', ky)
 * with the coefficients in units of 1/512, so q(x << 6, k) = x * k / 512; the
 * unsigned saturating narrow to bytes clamps to 0-255. The rounding of the
 * coefficients to 1/512 keeps every channel within 1 of the scalar formula for
 * full range, within 2 for limited (luma and chroma are rounded apart).
 * Columns past the last whole 16 and an odd last row are left to the caller.
 */

/** Parameters of `convert`, in order (all i32). */
export interface SimdCall {
  yPtr: number;
  uPtr: number;
  vPtr: number;
  outPtr: number;
  /** Bytes from one luma row to the next (output rows are 3x this). */
  width: number;
  /** Bytes from one chroma row to the next. */
  chromaWidth: number;
  /** Whole 16-pixel blocks per row. */
  blocks: number;
  /** Row pairs to convert. */
  rowPairs: number;
}

/** Range coefficients in units of 1/512 (see above). */
export interface SimdCoefficients {
  y0: number;
  ky: number;
  rv: number;
  gu: number;
  gv: number;
  bu: number;
}

export const SIMD_COEFFICIENTS: Record<'full' | 'limited', SimdCoefficients> = {
  // JFIF: 1.402, 0.344136, 0.714136, 1.772
  full: { y0: 0, ky: 512, rv: 718, gu: 176, gv: 366, bu: 907 },
  // BT.601 studio swing: 255/219 = 1.164383, 1.596027, 0.391762, 0.812968, 2.017232
  limited: { y0: 16, ky: 596, rv: 817, gu: 201, gv: 416, bu: 1033 },
};

/** Shuffle lanes that interleave planar R, G, B (16 bytes each) into the 16 output bytes `chunk` (0-2) of RGB. */
function interleaveLanes(chunk: number): { rg: number[]; b: number[] } {
  const rg: number[] = [];
  const b: number[] = [];
  for (let j = 0; j < 16; j++) {
    const g = chunk * 16 + j;
    const pixel = Math.floor(g / 3);
    const channel = g % 3;
    rg.push(channel === 0 ? pixel : channel === 1 ? 16 + pixel : 0);
    b.push(channel === 2 ? 16 + pixel : j);
  }
  return { rg, b };
}

/** Lanes that repeat each 16-bit lane of the low (`half` 0) or high half twice: one chroma value for two pixels. */
function duplicateLanes(half: number): number[] {
  const lanes: number[] = [];
  for (let i = 0; i < 4; i++) {
    const lane = half * 4 + i;
    lanes.push(lane * 2, lane * 2 + 1, lane * 2, lane * 2 + 1);
  }
  return lanes;
}

/** The module's bytes: one function `convert(SimdCall..., SimdCoefficients...)` and one exported memory. */
export function simdModuleBytes(): Uint8Array {
  // Locals: params 0-13, i32 14-20, v128 21-42.
  const P = { y: 0, u: 1, v: 2, o: 3, width: 4, cw: 5, blocks: 6, pairs: 7, y0: 8, ky: 9, rv: 10, gu: 11, gv: 12, bu: 13 };
  const L = { py0: 14, py1: 15, pu: 16, pv: 17, po0: 18, po1: 19, b: 20 };
  const V = { c128: 21, vy0: 22, vky: 23, vrv: 24, vgu: 25, vgv: 26, vbu: 27, u: 28, v: 29, drl: 30, drh: 31, dgl: 32, dgh: 33, dbl: 34, dbh: 35, t: 36, ylo: 37, yhi: 38, r: 39, g: 40, bb: 41, d: 42 };
  const code = new Code();
  const c = code.bytes;
  const get = (i: number): void => void code.get(i);
  const set = (i: number): void => void code.set(i);
  const i32 = (n: number): void => void code.i32(n);
  const s = (opcode: number, ...imm: number[]): void => void code.s(opcode, ...imm);
  const mem = memarg;
  const addTo = (local: number, amount: () => void): void => {
    get(local);
    amount();
    c.push(op.i32Add);
    set(local);
  };
  const splat = (param: number, target: number): void => {
    get(param);
    s(simd.i16Splat);
    set(target);
  };

  i32(128);
  s(simd.i16Splat);
  set(V.c128);
  splat(P.y0, V.vy0);
  splat(P.ky, V.vky);
  splat(P.rv, V.vrv);
  splat(P.gu, V.vgu);
  splat(P.gv, V.vgv);
  splat(P.bu, V.vbu);

  // One row of 16 pixels: Y at `py`, RGB to `po`, chroma terms in drl..dbh.
  const row = (py: number, po: number): void => {
    get(py);
    s(simd.load, ...mem(0));
    set(V.t);
    for (const [extend, target] of [[simd.i16ExtendLowI8U, V.ylo], [simd.i16ExtendHighI8U, V.yhi]] as const) {
      get(V.t);
      s(extend);
      get(V.vy0);
      s(simd.i16Sub);
      i32(6);
      s(simd.i16Shl);
      get(V.vky);
      s(simd.i16Q15mulr);
      set(target);
    }
    for (const [combine, lo, hi, target] of [
      [simd.i16AddSat, V.drl, V.drh, V.r],
      [simd.i16SubSat, V.dgl, V.dgh, V.g],
      [simd.i16AddSat, V.dbl, V.dbh, V.bb],
    ] as const) {
      get(V.ylo);
      get(lo);
      s(combine);
      get(V.yhi);
      get(hi);
      s(combine);
      s(simd.i8NarrowI16U);
      set(target);
    }
    for (let chunk = 0; chunk < 3; chunk++) {
      const lanes = interleaveLanes(chunk);
      get(po);
      get(V.r);
      get(V.g);
      s(simd.shuffle, ...lanes.rg);
      get(V.bb);
      s(simd.shuffle, ...lanes.b);
      s(simd.store, ...mem(chunk * 16));
    }
  };

  // A chroma plane's 8 samples at `p` as (x - 128) << 6 into `target`.
  const chroma = (p: number, target: number): void => {
    get(p);
    s(simd.load8x8U, ...mem(0));
    get(V.c128);
    s(simd.i16Sub);
    i32(6);
    s(simd.i16Shl);
    set(target);
  };
  const duplicate = (source: number, lo: number, hi: number): void => {
    get(source);
    get(source);
    s(simd.shuffle, ...duplicateLanes(0));
    set(lo);
    get(source);
    get(source);
    s(simd.shuffle, ...duplicateLanes(1));
    set(hi);
  };

  c.push(op.block, 0x40, op.loop, 0x40);
  get(P.pairs);
  c.push(op.i32Eqz, op.brIf, 1);
  get(P.y);
  set(L.py0);
  get(P.y);
  get(P.width);
  c.push(op.i32Add);
  set(L.py1);
  get(P.u);
  set(L.pu);
  get(P.v);
  set(L.pv);
  get(P.o);
  set(L.po0);
  get(P.o);
  get(P.width);
  i32(3);
  c.push(op.i32Mul, op.i32Add);
  set(L.po1);
  get(P.blocks);
  set(L.b);
  c.push(op.block, 0x40, op.loop, 0x40);
  get(L.b);
  c.push(op.i32Eqz, op.brIf, 1);
  chroma(L.pu, V.u);
  chroma(L.pv, V.v);
  // dr = q(v, rv); dg = q(u, gu) + q(v, gv); db = q(u, bu); each doubled across the two pixels sharing it.
  get(V.v);
  get(V.vrv);
  s(simd.i16Q15mulr);
  set(V.d);
  duplicate(V.d, V.drl, V.drh);
  get(V.u);
  get(V.vgu);
  s(simd.i16Q15mulr);
  get(V.v);
  get(V.vgv);
  s(simd.i16Q15mulr);
  s(simd.i16Add);
  set(V.d);
  duplicate(V.d, V.dgl, V.dgh);
  get(V.u);
  get(V.vbu);
  s(simd.i16Q15mulr);
  set(V.d);
  duplicate(V.d, V.dbl, V.dbh);
  row(L.py0, L.po0);
  row(L.py1, L.po1);
  addTo(L.py0, () => i32(16));
  addTo(L.py1, () => i32(16));
  addTo(L.pu, () => i32(8));
  addTo(L.pv, () => i32(8));
  addTo(L.po0, () => i32(48));
  addTo(L.po1, () => i32(48));
  get(L.b);
  i32(1);
  c.push(op.i32Sub);
  set(L.b);
  c.push(op.br, 0, op.end, op.end);
  // Next row pair.
  addTo(P.y, () => {
    get(P.width);
    i32(2);
    c.push(op.i32Mul);
  });
  addTo(P.u, () => get(P.cw));
  addTo(P.v, () => get(P.cw));
  addTo(P.o, () => {
    get(P.width);
    i32(6);
    c.push(op.i32Mul);
  });
  get(P.pairs);
  i32(1);
  c.push(op.i32Sub);
  set(P.pairs);
  c.push(op.br, 0, op.end, op.end);

  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 14, ...Array<number>(14).fill(I32), 0]),
    ...section(3, [1, 0]),
    ...section(5, [1, 0x00, 1]),
    ...section(7, [2, ...name('convert'), 0x00, 0, ...name('memory'), 0x02, 0]),
    ...section(10, [1, ...functionBody([[7, I32], [22, V128]], code)]),
  ]);
}
