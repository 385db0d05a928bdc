/**
 * A small WebAssembly assembler: builds a module binary (one imported memory, functions,
 * exports) from instructions named as in the text format. The engine's SIMD kernels are
 * written with it (see kernels.ts), so they need no compiler toolchain and ship as TypeScript.
 *
 * Only what the kernels use is covered: i32 / f32 / v128 values, structured control flow,
 * loads and stores with a constant offset, and the SIMD and relaxed-SIMD opcodes listed in OPS.
 */

import { wasm } from "./wasm-api.js";

export const I32 = 0x7f;
export const F32 = 0x7d;
export const V128 = 0x7b;
export type ValType = typeof I32 | typeof F32 | typeof V128;
/** n i32 parameter types (the kernels take mostly pointers and sizes). */
export const i32s = (n: number): ValType[] => new Array<ValType>(n).fill(I32);

/** Opcodes by text-format name: a plain byte, or [0xfd, n] for the SIMD prefix. */
const OPS: Record<string, number | [number, number]> = {
  unreachable: 0x00,
  nop: 0x01,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  br_if: 0x0d,
  return: 0x0f,
  call: 0x10,
  drop: 0x1a,
  select: 0x1b,
  "local.get": 0x20,
  "local.set": 0x21,
  "local.tee": 0x22,
  "i32.load": 0x28,
  "f32.load": 0x2a,
  "i32.store": 0x36,
  "f32.store": 0x38,
  "i32.const": 0x41,
  "f32.const": 0x43,
  "i32.eqz": 0x45,
  "i32.eq": 0x46,
  "i32.ne": 0x47,
  "i32.lt_s": 0x48,
  "i32.lt_u": 0x49,
  "i32.gt_s": 0x4a,
  "i32.gt_u": 0x4b,
  "i32.le_s": 0x4c,
  "i32.le_u": 0x4d,
  "i32.ge_s": 0x4e,
  "i32.ge_u": 0x4f,
  "f32.eq": 0x5b,
  "f32.ne": 0x5c,
  "f32.lt": 0x5d,
  "f32.gt": 0x5e,
  "f32.le": 0x5f,
  "f32.ge": 0x60,
  "i32.add": 0x6a,
  "i32.sub": 0x6b,
  "i32.mul": 0x6c,
  "i32.div_s": 0x6d,
  "i32.div_u": 0x6e,
  "i32.rem_s": 0x6f,
  "i32.rem_u": 0x70,
  "i32.and": 0x71,
  "i32.or": 0x72,
  "i32.xor": 0x73,
  "i32.shl": 0x74,
  "i32.shr_s": 0x75,
  "i32.shr_u": 0x76,
  "f32.abs": 0x8b,
  "f32.neg": 0x8c,
  "f32.sqrt": 0x91,
  "f32.add": 0x92,
  "f32.sub": 0x93,
  "f32.mul": 0x94,
  "f32.div": 0x95,
  "f32.min": 0x96,
  "f32.max": 0x97,
  "f32.convert_i32_s": 0xb2,
  "v128.load": [0xfd, 0x00],
  "v128.load32_splat": [0xfd, 0x09],
  "v128.store": [0xfd, 0x0b],
  "v128.const": [0xfd, 0x0c],
  "i8x16.shuffle": [0xfd, 0x0d],
  "f32x4.splat": [0xfd, 0x13],
  "f32x4.extract_lane": [0xfd, 0x1f],
  "f32x4.replace_lane": [0xfd, 0x20],
  "f32x4.eq": [0xfd, 0x41],
  "f32x4.ne": [0xfd, 0x42],
  "f32x4.lt": [0xfd, 0x43],
  "f32x4.gt": [0xfd, 0x44],
  "f32x4.le": [0xfd, 0x45],
  "f32x4.ge": [0xfd, 0x46],
  "v128.not": [0xfd, 0x4d],
  "v128.and": [0xfd, 0x4e],
  "v128.andnot": [0xfd, 0x4f],
  "v128.or": [0xfd, 0x50],
  "v128.xor": [0xfd, 0x51],
  "v128.bitselect": [0xfd, 0x52],
  "v128.any_true": [0xfd, 0x53],
  "v128.load32_zero": [0xfd, 0x5c],
  "i32x4.splat": [0xfd, 0x11],
  "i32x4.extract_lane": [0xfd, 0x1b],
  "i32x4.bitmask": [0xfd, 0xa4],
  "i32x4.add": [0xfd, 0xae],
  "i32x4.sub": [0xfd, 0xb1],
  "f32x4.abs": [0xfd, 0xe0],
  "f32x4.neg": [0xfd, 0xe1],
  "f32x4.sqrt": [0xfd, 0xe3],
  "f32x4.add": [0xfd, 0xe4],
  "f32x4.sub": [0xfd, 0xe5],
  "f32x4.mul": [0xfd, 0xe6],
  "f32x4.div": [0xfd, 0xe7],
  "f32x4.min": [0xfd, 0xe8],
  "f32x4.max": [0xfd, 0xe9],
  "f32x4.pmin": [0xfd, 0xea],
  "f32x4.pmax": [0xfd, 0xeb],
  "f32x4.relaxed_madd": [0xfd, 0x105],
  "f32x4.relaxed_nmadd": [0xfd, 0x106],
};

function uleb(out: number[], v: number): void {
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
}

function sleb(out: number[], v: number): void {
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return;
    }
    out.push(b | 0x80);
  }
}

function name(out: number[], s: string): void {
  const bytes = new TextEncoder().encode(s);
  uleb(out, bytes.length);
  out.push(...bytes);
}

const ALIGN: Record<string, number> = {
  "i32.load": 2,
  "f32.load": 2,
  "i32.store": 2,
  "f32.store": 2,
  "v128.load": 4,
  "v128.store": 4,
  "v128.load32_splat": 2,
  "v128.load32_zero": 2,
};

/** Something that evaluates to a value: a local (by index) or an i32 constant. */
export type Operand = { local: number } | { i32: number };

/** One function under construction. Instructions are appended in order (stack machine). */
export class Fn {
  readonly code: number[] = [];
  private readonly localTypes: ValType[] = [];

  constructor(
    readonly name: string,
    readonly params: ValType[],
    readonly results: ValType[] = [],
  ) {}

  /** Index of parameter i. */
  param(i: number): number {
    if (i < 0 || i >= this.params.length) throw new RangeError(`${this.name}: no param ${i}`);
    return i;
  }

  /** Indices of all parameters, in order (for destructuring). */
  paramList(): number[] {
    return this.params.map((_, i) => i);
  }

  /** A new local of `type`; returns its index. */
  local(type: ValType): number {
    this.localTypes.push(type);
    return this.params.length + this.localTypes.length - 1;
  }

  /** Appends instructions; `name` as in the text format, then its immediates. */
  op(op: string, ...imm: number[]): this {
    const code = OPS[op];
    if (code === undefined) throw new Error(`asm: unknown instruction ${op}`);
    const out = this.code;
    if (typeof code === "number") out.push(code);
    else {
      out.push(code[0]);
      uleb(out, code[1]);
    }
    if (op in ALIGN) {
      // memarg: alignment hint (log2), then the constant offset in bytes.
      uleb(out, ALIGN[op]!);
      uleb(out, imm[0] ?? 0);
    } else if (op === "i32.const") {
      sleb(out, imm[0]! | 0);
    } else if (op === "f32.const") {
      const b = new Uint8Array(new Float32Array([imm[0]!]).buffer);
      out.push(...b);
    } else if (op === "v128.const" || op === "i8x16.shuffle") {
      if (imm.length !== 16) throw new Error(`asm: ${op} takes 16 byte immediates`);
      out.push(...imm.map((b) => b & 0xff));
    } else if (op.endsWith("_lane")) {
      out.push(imm[0]!);
    } else {
      for (const v of imm) uleb(out, v);
    }
    return this;
  }

  get(l: number): this {
    return this.op("local.get", l);
  }
  set(l: number): this {
    return this.op("local.set", l);
  }
  tee(l: number): this {
    return this.op("local.tee", l);
  }
  i32(v: number): this {
    return this.op("i32.const", v);
  }
  f32(v: number): this {
    return this.op("f32.const", v);
  }
  /** Runs an emitter inline (keeps fluent chains readable). */
  with(emit: () => unknown): this {
    emit();
    return this;
  }
  /** Pushes an operand. */
  val(v: Operand): this {
    return "local" in v ? this.get(v.local) : this.i32(v.i32);
  }
  /** local = local + v (i32). */
  inc(l: number, v: Operand | number): this {
    this.get(l).val(typeof v === "number" ? { i32: v } : v);
    return this.op("i32.add").set(l);
  }
  /** Pushes `base + off` as an i32 address expression (off in bytes, may be a local). */
  addr(base: number, off?: Operand): this {
    this.get(base);
    if (off) this.val(off).op("i32.add");
    return this;
  }

  /** block ... end (label depth +1 inside). */
  block(body: () => void): this {
    this.code.push(0x02, 0x40);
    body();
    this.code.push(0x0b);
    return this;
  }

  /** if ... end, consuming an i32 condition already on the stack. */
  if(then: () => void, otherwise?: () => void): this {
    this.code.push(0x04, 0x40);
    then();
    if (otherwise) {
      this.code.push(0x05);
      otherwise();
    }
    this.code.push(0x0b);
    return this;
  }

  /**
   * for (i = start; i < end; i += step) body — as block/loop, with the test before the first
   * iteration. Inside the body, `br 1` breaks out and `br 0` continues (skipping the increment:
   * avoid it).
   */
  for(i: number, start: Operand, end: Operand, step: number | Operand, body: () => void): this {
    this.val(start).set(i);
    this.block(() => {
      this.get(i).val(end).op("i32.ge_s").op("br_if", 0);
      this.code.push(0x03, 0x40);
      body();
      this.inc(i, step);
      this.get(i).val(end).op("i32.lt_s").op("br_if", 0);
      this.code.push(0x0b);
    });
    return this;
  }

  /** Encoded body (locals + code + end). */
  encode(): number[] {
    const body: number[] = [];
    // Run-length encode the local types.
    const groups: [number, ValType][] = [];
    for (const t of this.localTypes) {
      const last = groups[groups.length - 1];
      if (last && last[1] === t) last[0]++;
      else groups.push([1, t]);
    }
    uleb(body, groups.length);
    for (const [n, t] of groups) {
      uleb(body, n);
      body.push(t);
    }
    body.push(...this.code, 0x0b);
    const out: number[] = [];
    uleb(out, body.length);
    out.push(...body);
    return out;
  }
}

/** A module importing one memory ("env"."memory") and exporting every function by name. */
export class ModuleBuilder {
  private readonly fns: Fn[] = [];

  fn(name: string, params: ValType[], results: ValType[] = []): Fn {
    if (this.fns.some((f) => f.name === name)) throw new Error(`asm: duplicate function ${name}`);
    const f = new Fn(name, params, results);
    this.fns.push(f);
    return f;
  }

  /** Index of a function already declared (for `call`). */
  index(name: string): number {
    const i = this.fns.findIndex((f) => f.name === name);
    if (i < 0) throw new Error(`asm: no function ${name}`);
    return i;
  }

  encode(): Uint8Array {
    const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    const section = (id: number, content: number[]) => {
      out.push(id);
      uleb(out, content.length);
      out.push(...content);
    };
    // Types: one per function (duplicates are allowed).
    const types: number[] = [];
    uleb(types, this.fns.length);
    for (const f of this.fns) {
      types.push(0x60);
      uleb(types, f.params.length);
      types.push(...f.params);
      uleb(types, f.results.length);
      types.push(...f.results);
    }
    section(1, types);
    // Import: env.memory, min 1 page, no maximum (matches any non-shared memory).
    const imports: number[] = [];
    uleb(imports, 1);
    name(imports, "env");
    name(imports, "memory");
    imports.push(0x02, 0x00);
    uleb(imports, 1);
    section(2, imports);
    const funcs: number[] = [];
    uleb(funcs, this.fns.length);
    this.fns.forEach((_, i) => uleb(funcs, i));
    section(3, funcs);
    const exports: number[] = [];
    uleb(exports, this.fns.length);
    this.fns.forEach((f, i) => {
      name(exports, f.name);
      exports.push(0x00);
      uleb(exports, i);
    });
    section(7, exports);
    const code: number[] = [];
    uleb(code, this.fns.length);
    for (const f of this.fns) code.push(...f.encode());
    section(10, code);
    return new Uint8Array(out);
  }
}

/** Whether this runtime validates relaxed-SIMD (f32x4.relaxed_madd). */
export function hasRelaxedSimd(): boolean {
  const m = new ModuleBuilder();
  const f = m.fn("t", [], [V128]);
  const z = new Array<number>(16).fill(0);
  f.op("v128.const", ...z)
    .op("v128.const", ...z)
    .op("v128.const", ...z)
    .op("f32x4.relaxed_madd");
  try {
    return wasm.validate(m.encode());
  } catch {
    return false;
  }
}
