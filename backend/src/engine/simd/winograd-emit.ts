/**
 * What every Winograd transform kernel is emitted from (winograd.ts, winograd-gradient.ts): a
 * linear combination of v128 values with compile-time coefficients, and the 64-vector scratch.
 */
import type { Fn } from "./asm.js";

/** Byte offset of the transforms' scratch (up to 64 v128 values), below the allocator's start. */
export const WINO_SCRATCH = 256;

function splat(f: Fn, v: number): void {
  const b = new Uint8Array(new Float32Array([v, v, v, v]).buffer);
  f.op("v128.const", ...b);
}

/**
 * Pushes sum_i coef[i] * in(i) (v128), skipping zeros; +-1 become add/sub.
 */
export function combo(f: Fn, coef: number[], load: (i: number) => void, fma: boolean): void {
  let first = true;
  coef.forEach((c, i) => {
    if (c === 0) return;
    if (first) {
      load(i);
      if (c === -1) f.op("f32x4.neg");
      else if (c !== 1) {
        splat(f, c);
        f.op("f32x4.mul");
      }
      first = false;
      return;
    }
    if (c === 1) {
      load(i);
      f.op("f32x4.add");
    } else if (c === -1) {
      load(i);
      f.op("f32x4.sub");
    } else if (fma) {
      // stack: acc -> relaxed_madd(in, c, acc)
      const acc = tmpAcc.get(f)!;
      f.set(acc);
      load(i);
      splat(f, c);
      f.get(acc).op("f32x4.relaxed_madd");
    } else {
      load(i);
      splat(f, c);
      f.op("f32x4.mul").op("f32x4.add");
    }
  });
  if (first) f.op("v128.const", ...new Array<number>(16).fill(0));
}

export const tmpAcc = new WeakMap<Fn, number>();

export function scratch(f: Fn, k: number): void {
  f.i32(WINO_SCRATCH + 16 * k);
}
