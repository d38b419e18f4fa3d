/**
 * The little of a WebAssembly binary encoder that picam's hand-assembled
 * SIMD kernels (i420-simd.ts, stack-simd.ts) need: LEB128 numbers, sections,
 * names and the opcodes they use. Hand-assembled so no compiler or binary has
 * to ship; each kernel is checked against a scalar formula by its unit test.
 */

/** Prefix of every SIMD opcode. */
export const SIMD = 0xfd;

/** Core opcodes. */
export const op = {
  block: 0x02, loop: 0x03, br: 0x0c, brIf: 0x0d, end: 0x0b,
  localGet: 0x20, localSet: 0x21, localTee: 0x22,
  i32Const: 0x41, i32Eqz: 0x45, i32Add: 0x6a, i32Sub: 0x6b, i32Mul: 0x6c,
} as const;

/** SIMD opcodes (after the 0xfd prefix), named for the lane shape they work on. */
export const simd = {
  load: 0x00, load8x8U: 0x02, store: 0x0b, shuffle: 0x0d, i16Splat: 0x10, i32Splat: 0x11,
  i8NarrowI16U: 0x66, i16ExtaddPairwiseI8U: 0x7d, i32ExtaddPairwiseI16U: 0x7f,
  i16Q15mulr: 0x82, i16NarrowI32U: 0x86, i16ExtendLowI8U: 0x89, i16ExtendHighI8U: 0x8a, i16Shl: 0x8b,
  i16Add: 0x8e, i16AddSat: 0x8f, i16Sub: 0x91, i16SubSat: 0x92, i16MinU: 0x97,
  i32ExtendLowI16U: 0xa9, i32ExtendHighI16U: 0xaa, i32ShrU: 0xad, i32Add: 0xae, i32Mul: 0xb5,
} as const;

/** Value types. */
export const I32 = 0x7f;
export const V128 = 0x7b;

export function uleb(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
}

export function sleb(value: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    if ((value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

export function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

export function name(text: string): number[] {
  return [...uleb(text.length), ...Buffer.from(text, 'utf8')];
}

/** A function body being written: its instructions, with helpers for the common shapes. */
export class Code {
  readonly bytes: number[] = [];

  get(local: number): this {
    this.bytes.push(op.localGet, ...uleb(local));
    return this;
  }

  set(local: number): this {
    this.bytes.push(op.localSet, ...uleb(local));
    return this;
  }

  i32(value: number): this {
    this.bytes.push(op.i32Const, ...sleb(value));
    return this;
  }

  /** A SIMD instruction and its immediates. */
  s(code: number, ...immediates: number[]): this {
    this.bytes.push(SIMD, ...uleb(code), ...immediates);
    return this;
  }

  /** Core instructions, as is. */
  raw(...codes: number[]): this {
    this.bytes.push(...codes);
    return this;
  }

  /** `local += amount` (i32). */
  addTo(local: number, amount: number): this {
    return this.get(local).i32(amount).raw(op.i32Add).set(local);
  }

  /** `while (counter != 0) { body; counter-- }`. */
  countDown(counter: number, body: () => void): this {
    this.raw(op.block, 0x40, op.loop, 0x40).get(counter).raw(op.i32Eqz, op.brIf, 1);
    body();
    this.get(counter).i32(1).raw(op.i32Sub).set(counter).raw(op.br, 0, op.end, op.end);
    return this;
  }
}

/** Memory argument of a load or store: alignment hint 0 and a byte offset. */
export function memarg(offset: number): number[] {
  return [0, ...uleb(offset)];
}

/** A function's body bytes: its local declarations (runs of [count, type]) and code, length-prefixed. */
export function functionBody(locals: Array<[number, number]>, code: Code): number[] {
  const body = [...uleb(locals.length), ...locals.flatMap(([count, type]) => [...uleb(count), type]), ...code.bytes, op.end];
  return [...uleb(body.length), ...body];
}

/** The little of the WebAssembly JS API picam uses (not in the ES2023 lib or Node 20's types). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(pages: number): number;
}
export interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports?: Record<string, Record<string, unknown>>) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
}
export const wasm = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

/** Bytes of one WebAssembly memory page. */
export const PAGE_BYTES = 65536;
