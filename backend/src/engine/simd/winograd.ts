/**
 * Winograd F(2x2, 5x5) convolution transforms as SIMD kernels (Lavin & Gray 2016).
 *
 * A 5x5 'same' convolution of an NHWC image is computed per 2x2 output tile from the 6x6 input
 * tile under it: Y = A^T [ (G W G^T) . (B^T X B) ] A, where . is the element-wise product over
 * the 36 points of the transformed tile and the sum over input channels happens there, as 36
 * independent GEMMs [tiles x Cin] x [Cin x Cout] (the engine's micro-kernel). That is 36
 * multiplies per tile and channel pair instead of 100: 2.78x fewer.
 *
 * Interpolation points 0, 1, -1, 1/2, -2 and infinity, chosen by float32 error (worst case over
 * random 14x14x32->64 and 14x14x64->32 convolutions with inputs and weights uniform in [-1, 1],
 * outputs up to ~40: 8.5e-5 absolute; with 0, +-1, +-2 it is 2.0e-4, direct float32 ~2e-5).
 * The matrices are exact rationals (derived by solving the Toom-Cook system), B^T's rows scaled
 * to a maximum of 1 with the scale moved into G.
 *
 * Kernels (all vectorised over 4 channels, c % 4 == 0; matrices are compile-time constants):
 * - wino_wt(cin, cout, w, u): U[p][ci][co] = (G W[.,.,ci,co] G^T)[p], W HWIO [5][5][cin][cout].
 * - wino_in(n, h, w, c, xp, xpRow, xpImg, v, pS, tS): V(p, t, ci) = (B^T X_t B)[p] for every
 *   2x2-stride 6x6 tile t = (b*(h/2) + ty)*(w/2) + tx of the zero-padded (pad 2) input, stored at
 *   v + p*pS + t*tS + 4ci (bytes): point-major (pS = tiles*c*4, tS = c*4) or tile-major
 *   (pS = c*4, tS = 36*c*4).
 * - wino_out(n, h, w, c, m, pS, tS, y, mode, bias): y[b][2ty+i][2tx+j][co] = (A^T M_t A)[i][j]
 *   (+ bias, ReLU for mode 3 / 4; mode 0 stores), M(p, t, co) the GEMMs' output (same layout
 *   convention).
 *
 * The filter gradient dW[i][j][ci][co] = sum_{b,y,x} X[b][y+i][x+j][ci] dY[b][y][x][co] is the
 * same algorithm with the roles swapped, F(5x5, 2x2): per 2x2 tile of dY (the same tiles, so
 * the forward pass's V is reused) dW += A5^T [ (G2 dY_t G2^T) . (B^T X_t B) ] A5, summed over
 * tiles in the transformed domain (36 GEMMs [cin x tiles] x [tiles x cout]):
 * - wino_dy(n, h, w, c, dy, dyRow, dyImg, z, pS, tS): Z(p, t, co) = (G2 dY_t G2^T)[p].
 * - wino_dwout(cin, cout, mw, dw): dW[i][j][ci][co] = (A5^T Mw[.][ci][co] A5)[i][j].
 */
import { I32, V128, type Fn, type ModuleBuilder } from "./asm.js";
import { AT, AT5, BT, G, G2 } from "./winograd-matrices.js";

/** Byte offset of the transforms' scratch (36 v128 values), below the allocator's start. */
export const WINO_SCRATCH = 256;

function splat(f: Fn, v: number): void {
  const b = new Uint8Array(new Float32Array([v, v, v, v]).buffer);
  f.op("v128.const", ...b);
}

/**
 * Pushes sum_i coef[i] * in(i) (v128), skipping zeros; +-1 become add/sub.
 */
function combo(f: Fn, coef: number[], load: (i: number) => void, fma: boolean): void {
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

const tmpAcc = new WeakMap<Fn, number>();

function scratch(f: Fn, k: number): void {
  f.i32(WINO_SCRATCH + 16 * k);
}

/** wino_wt(cin, cout, w, u) */
export function buildWinoWeights(m: ModuleBuilder, fma: boolean): void {
  const f = m.fn("wino_wt", [I32, I32, I32, I32]);
  const [cin, cout, w, u] = [0, 1, 2, 3];
  tmpAcc.set(f, f.local(V128));
  const ci = f.local(I32);
  const co = f.local(I32);
  const coB = f.local(I32); // cout*4
  const src = f.local(I32); // w + ci*cout*4 + co
  const tap = f.local(I32); // cin*cout*4: bytes between taps
  const dst = f.local(I32);
  const pStride = f.local(I32); // cin*cout*4 between points of U
  f.get(cout).i32(2).op("i32.shl").set(coB);
  f.get(cin).get(coB).op("i32.mul").set(tap);
  f.get(tap).set(pStride);
  f.for(ci, { i32: 0 }, { local: cin }, 1, () => {
    f.for(co, { i32: 0 }, { local: coB }, 16, () => {
      f.get(w).get(ci).get(coB).op("i32.mul").op("i32.add").get(co).op("i32.add").set(src);
      // pass 1: t[a][j] = sum_i G[a][i] W[i][j] -> scratch[a*5 + j]
      for (let j = 0; j < 5; j++) {
        for (let a = 0; a < 6; a++) {
          scratch(f, a * 5 + j);
          combo(
            f,
            G[a]!,
            (i) => {
              f.get(src)
                .get(tap)
                .i32(i * 5 + j)
                .op("i32.mul")
                .op("i32.add")
                .op("v128.load", 0);
            },
            fma,
          );
          f.op("v128.store", 0);
        }
      }
      // pass 2: U[a][b] = sum_j t[a][j] G[b][j]
      f.get(u).get(ci).get(coB).op("i32.mul").op("i32.add").get(co).op("i32.add").set(dst);
      for (let a = 0; a < 6; a++) {
        for (let b = 0; b < 6; b++) {
          f.get(dst)
            .get(pStride)
            .i32(a * 6 + b)
            .op("i32.mul")
            .op("i32.add");
          combo(
            f,
            G[b]!,
            (j) => {
              scratch(f, a * 5 + j);
              f.op("v128.load", 0);
            },
            fma,
          );
          f.op("v128.store", 0);
        }
      }
    });
  });
}

/** wino_in(n, h, w, c, xp, xpRow, xpImg, v, pS, tS) */
export function buildWinoInput(m: ModuleBuilder, fma: boolean): void {
  const f = m.fn("wino_in", [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32]);
  const [n, h, w, c, xp, xpRow, xpImg, v, pS, tS] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  tmpAcc.set(f, f.local(V128));
  const b = f.local(I32);
  const ty = f.local(I32);
  const tx = f.local(I32);
  const c4 = f.local(I32);
  const cB = f.local(I32);
  const th = f.local(I32);
  const tw = f.local(I32);
  const t = f.local(I32);
  const base = f.local(I32);
  const ob = f.local(I32);
  const rows = Array.from({ length: 6 }, () => f.local(I32));
  f.get(c).i32(2).op("i32.shl").set(cB);
  f.get(h).i32(1).op("i32.shr_u").set(th);
  f.get(w).i32(1).op("i32.shr_u").set(tw);
  f.i32(0).set(t);
  f.for(b, { i32: 0 }, { local: n }, 1, () => {
    f.for(ty, { i32: 0 }, { local: th }, 1, () => {
      f.for(tx, { i32: 0 }, { local: tw }, 1, () => {
        // base = xp + b*xpImg + 2ty*xpRow + 2tx*c*4
        f.get(xp).get(b).get(xpImg).op("i32.mul").op("i32.add");
        f.get(ty).i32(1).op("i32.shl").get(xpRow).op("i32.mul").op("i32.add");
        f.get(tx).i32(1).op("i32.shl").get(cB).op("i32.mul").op("i32.add").set(base);
        f.for(c4, { i32: 0 }, { local: cB }, 16, () => {
          for (let i = 0; i < 6; i++) {
            f.get(base).get(c4).op("i32.add");
            if (i > 0) f.get(xpRow).i32(i).op("i32.mul").op("i32.add");
            f.set(rows[i]!);
          }
          // pass 1: s[a][j] = sum_i BT[a][i] X[i][j] -> scratch[a*6 + j]
          for (let j = 0; j < 6; j++) {
            for (let a = 0; a < 6; a++) {
              scratch(f, a * 6 + j);
              combo(
                f,
                BT[a]!,
                (i) => {
                  f.get(rows[i]!);
                  if (j > 0) f.get(cB).i32(j).op("i32.mul").op("i32.add");
                  f.op("v128.load", 0);
                },
                fma,
              );
              f.op("v128.store", 0);
            }
          }
          // pass 2: V[a][k] = sum_j s[a][j] BT[k][j] -> v + p*pS + t*tS + c4
          f.get(v).get(t).get(tS).op("i32.mul").op("i32.add").get(c4).op("i32.add").set(ob);
          for (let a = 0; a < 6; a++) {
            for (let k = 0; k < 6; k++) {
              f.get(ob)
                .get(pS)
                .i32(a * 6 + k)
                .op("i32.mul")
                .op("i32.add");
              combo(
                f,
                BT[k]!,
                (j) => {
                  scratch(f, a * 6 + j);
                  f.op("v128.load", 0);
                },
                fma,
              );
              f.op("v128.store", 0);
            }
          }
        });
        f.inc(t, 1);
      });
    });
  });
}

/** wino_out's pass 1: s[i][j] = sum_a AT[i][a] M[a*6 + j] -> scratch[i*6 + j]. */
function outputPass1(f: Fn, ib: number, pS: number, fma: boolean): void {
  for (let j = 0; j < 6; j++) {
    for (let i = 0; i < 2; i++) {
      scratch(f, i * 6 + j);
      combo(
        f,
        AT[i]!,
        (a) => {
          f.get(ib)
            .get(pS)
            .i32(a * 6 + j)
            .op("i32.mul")
            .op("i32.add")
            .op("v128.load", 0);
        },
        fma,
      );
      f.op("v128.store", 0);
    }
  }
}

/**
 * wino_out's pass 2: Y[i][k] = sum_j s[i][j] AT[k][j], plus the bias (mode >= 3) and ReLU
 * (mode 4), stored to the 2x2 output pixels at out.
 */
function outputPass2(
  f: Fn,
  l: { mode: number; val: number; bv: number; out: number; rowB: number; cB: number },
  fma: boolean,
): void {
  for (let i = 0; i < 2; i++) {
    for (let k = 0; k < 2; k++) {
      combo(
        f,
        AT[k]!,
        (j) => {
          scratch(f, i * 6 + j);
          f.op("v128.load", 0);
        },
        fma,
      );
      f.set(l.val);
      f.get(l.mode)
        .i32(3)
        .op("i32.ge_u")
        .if(() => f.get(l.val).get(l.bv).op("f32x4.add").set(l.val));
      f.get(l.mode)
        .i32(4)
        .op("i32.eq")
        .if(() =>
          f
            .get(l.val)
            .op("v128.const", ...new Array<number>(16).fill(0))
            .op("f32x4.max")
            .set(l.val),
        );
      f.get(l.out);
      if (i > 0) f.get(l.rowB).op("i32.add");
      if (k > 0) f.get(l.cB).op("i32.add");
      f.get(l.val).op("v128.store", 0);
    }
  }
}

/** wino_out(n, h, w, c, mm, pS, tS, y, mode, bias) */
export function buildWinoOutput(m: ModuleBuilder, fma: boolean): void {
  const f = m.fn("wino_out", [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32]);
  const [n, h, w, c, mm, pS, tS, y, mode, bias] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  tmpAcc.set(f, f.local(V128));
  const b = f.local(I32);
  const ty = f.local(I32);
  const tx = f.local(I32);
  const c4 = f.local(I32);
  const cB = f.local(I32);
  const th = f.local(I32);
  const tw = f.local(I32);
  const t = f.local(I32);
  const ib = f.local(I32);
  const out = f.local(I32);
  const rowB = f.local(I32);
  const val = f.local(V128);
  const bv = f.local(V128);
  f.get(c).i32(2).op("i32.shl").set(cB);
  f.get(w).get(cB).op("i32.mul").set(rowB);
  f.get(h).i32(1).op("i32.shr_u").set(th);
  f.get(w).i32(1).op("i32.shr_u").set(tw);
  f.i32(0).set(t);
  f.for(b, { i32: 0 }, { local: n }, 1, () => {
    f.for(ty, { i32: 0 }, { local: th }, 1, () => {
      f.for(tx, { i32: 0 }, { local: tw }, 1, () => {
        f.for(c4, { i32: 0 }, { local: cB }, 16, () => {
          f.get(mm).get(t).get(tS).op("i32.mul").op("i32.add").get(c4).op("i32.add").set(ib);
          outputPass1(f, ib, pS, fma);
          // out = y + ((b*h + 2ty)*w + 2tx)*c*4 + c4
          f.get(b).get(h).op("i32.mul").get(ty).i32(1).op("i32.shl").op("i32.add");
          f.get(w).op("i32.mul").get(tx).i32(1).op("i32.shl").op("i32.add");
          f.get(cB).op("i32.mul").get(y).op("i32.add").get(c4).op("i32.add").set(out);
          f.get(mode)
            .i32(3)
            .op("i32.ge_u")
            .if(() => f.get(bias).get(c4).op("i32.add").op("v128.load", 0).set(bv));
          outputPass2(f, { mode, val, bv, out, rowB, cB }, fma);
        });
        f.inc(t, 1);
      });
    });
  });
}

/** wino_dy(n, h, w, c, dy, dyRow, dyImg, z, pS, tS) */
export function buildWinoDy(m: ModuleBuilder, fma: boolean): void {
  const f = m.fn("wino_dy", [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32]);
  const [n, h, w, c, dy, dyRow, dyImg, z, pS, tS] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  tmpAcc.set(f, f.local(V128));
  const b = f.local(I32);
  const ty = f.local(I32);
  const tx = f.local(I32);
  const c4 = f.local(I32);
  const cB = f.local(I32);
  const th = f.local(I32);
  const tw = f.local(I32);
  const t = f.local(I32);
  const base = f.local(I32);
  const ob = f.local(I32);
  f.get(c).i32(2).op("i32.shl").set(cB);
  f.get(h).i32(1).op("i32.shr_u").set(th);
  f.get(w).i32(1).op("i32.shr_u").set(tw);
  f.i32(0).set(t);
  f.for(b, { i32: 0 }, { local: n }, 1, () => {
    f.for(ty, { i32: 0 }, { local: th }, 1, () => {
      f.for(tx, { i32: 0 }, { local: tw }, 1, () => {
        f.for(c4, { i32: 0 }, { local: cB }, 16, () => {
          // base = dy + b*dyImg + 2ty*dyRow + 2tx*c*4 + c4
          f.get(dy).get(b).get(dyImg).op("i32.mul").op("i32.add");
          f.get(ty).i32(1).op("i32.shl").get(dyRow).op("i32.mul").op("i32.add");
          f.get(tx).i32(1).op("i32.shl").get(cB).op("i32.mul").op("i32.add");
          f.get(c4).op("i32.add").set(base);
          // pass 1: s[a][j] = sum_i G2[a][i] D[i][j] -> scratch[a*2 + j]
          for (let j = 0; j < 2; j++) {
            for (let a = 0; a < 6; a++) {
              scratch(f, a * 2 + j);
              combo(
                f,
                G2[a]!,
                (i) => {
                  f.get(base);
                  if (i > 0) f.get(dyRow).op("i32.add");
                  if (j > 0) f.get(cB).op("i32.add");
                  f.op("v128.load", 0);
                },
                fma,
              );
              f.op("v128.store", 0);
            }
          }
          // pass 2: Z[a][k] = sum_j s[a][j] G2[k][j] -> z + p*pS + t*tS + c4
          f.get(z).get(t).get(tS).op("i32.mul").op("i32.add").get(c4).op("i32.add").set(ob);
          for (let a = 0; a < 6; a++) {
            for (let k = 0; k < 6; k++) {
              f.get(ob)
                .get(pS)
                .i32(a * 6 + k)
                .op("i32.mul")
                .op("i32.add");
              combo(
                f,
                G2[k]!,
                (j) => {
                  scratch(f, a * 2 + j);
                  f.op("v128.load", 0);
                },
                fma,
              );
              f.op("v128.store", 0);
            }
          }
        });
        f.inc(t, 1);
      });
    });
  });
}

/** wino_dwout(cin, cout, mw, dw) */
export function buildWinoDwOut(m: ModuleBuilder, fma: boolean): void {
  const f = m.fn("wino_dwout", [I32, I32, I32, I32]);
  const [cin, cout, mw, dw] = [0, 1, 2, 3];
  tmpAcc.set(f, f.local(V128));
  const ci = f.local(I32);
  const co = f.local(I32);
  const coB = f.local(I32);
  const src = f.local(I32);
  const dst = f.local(I32);
  const ps = f.local(I32); // cin*cout*4: between points of Mw, and between taps of dW
  f.get(cout).i32(2).op("i32.shl").set(coB);
  f.get(cin).get(coB).op("i32.mul").set(ps);
  f.for(ci, { i32: 0 }, { local: cin }, 1, () => {
    f.for(co, { i32: 0 }, { local: coB }, 16, () => {
      f.get(ci).get(coB).op("i32.mul").get(co).op("i32.add").set(src);
      f.get(dw).get(src).op("i32.add").set(dst);
      f.get(mw).get(src).op("i32.add").set(src);
      // pass 1: s[i][b] = sum_a AT5[i][a] Mw[a*6 + b] -> scratch[i*6 + b]
      for (let b = 0; b < 6; b++) {
        for (let i = 0; i < 5; i++) {
          scratch(f, i * 6 + b);
          combo(
            f,
            AT5[i]!,
            (a) => {
              f.get(src)
                .get(ps)
                .i32(a * 6 + b)
                .op("i32.mul")
                .op("i32.add")
                .op("v128.load", 0);
            },
            fma,
          );
          f.op("v128.store", 0);
        }
      }
      // pass 2: dW[i][j] = sum_b s[i][b] AT5[j][b]
      for (let i = 0; i < 5; i++) {
        for (let j = 0; j < 5; j++) {
          f.get(dst)
            .get(ps)
            .i32(i * 5 + j)
            .op("i32.mul")
            .op("i32.add");
          combo(
            f,
            AT5[j]!,
            (b) => {
              scratch(f, i * 6 + b);
              f.op("v128.load", 0);
            },
            fma,
          );
          f.op("v128.store", 0);
        }
      }
    });
  });
}
