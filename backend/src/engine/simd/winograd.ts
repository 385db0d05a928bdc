/**
 * Winograd F(m x m, 5x5) convolution transforms as SIMD kernels (Lavin & Gray 2016), for
 * m = 2 (F2: 6x6 points) and m = 4 (F4: 8x8 points).
 *
 * A 5x5 'same' convolution of an NHWC image is computed per m x m output tile from the
 * (m+4) x (m+4) input tile under it: Y = A^T [ (G W G^T) . (B^T X B) ] A, where . is the
 * element-wise product over the a x a points of the transformed tile and the sum over input
 * channels happens there, as a*a independent GEMMs [tiles x Cin] x [Cin x Cout] (the engine's
 * micro-kernel): 36 multiplies per 2x2 tile and channel pair (2.78x fewer than direct), 64 per
 * 4x4 tile (6.25x fewer; on a 14x14 map whose 4x4 tiles cover 16x16, 4.8x).
 *
 * F2's points 0, 1, -1, 1/2, -2 and infinity were chosen by float32 error (worst case over
 * random 14x14x32->64 and 14x14x64->32 convolutions with inputs and weights uniform in [-1, 1],
 * outputs up to ~40: 8.5e-5 absolute; with 0, +-1, +-2 it is 2.0e-4, direct float32 ~2e-5); F4's
 * are 0, +-1, +-1/2, +-2 and infinity (1.9e-4 on the same convolution). The matrices are exact
 * rationals (derived by solving the Toom-Cook system), B^T's rows scaled to a maximum of 1 with
 * the scale moved into G.
 *
 * Kernels (all vectorised over 4 channels, c % 4 == 0; matrices are compile-time constants;
 * the F4 kernels are named with a 4: wino_wt4, wino_in4, wino_out4):
 * - wino_wt(cin, cout, w, u): U[p][ci][co] = (G W[.,.,ci,co] G^T)[p], W HWIO [5][5][cin][cout].
 * - wino_in(n, h, w, c, xp, xpRow, xpImg, v, pS, tS): V(p, t, ci) = (B^T X_t B)[p] for every
 *   m-stride tile t = (b*th + ty)*tw + tx (th = ceil(h/m)) of the zero-padded input (the image
 *   at (2, 2), zeros up to row and column th*m + 3), stored at v + p*pS + t*tS + 4ci (bytes):
 *   point-major (pS = tiles*c*4, tS = c*4) or tile-major (pS = c*4, tS = a*a*c*4).
 * - wino_out(n, h, w, c, m, pS, tS, y, mode, bias): y[b][m*ty+i][m*tx+j][co] = (A^T M_t A)[i][j]
 *   (+ bias, ReLU for mode 3 / 4; mode 0 stores) for the pixels inside the image, M(p, t, co)
 *   the GEMMs' output (same layout convention).
 *
 * The filter gradient's transforms, F(5x5, 2x2) over F2's tiles, are in winograd-gradient.ts.
 */
import { I32, V128, type Fn, type ModuleBuilder } from "./asm.js";
import { combo, scratch, tmpAcc } from "./winograd-emit.js";
import { AT, AT8, BT, BT8, G, G8 } from "./winograd-matrices.js";

export { WINO_SCRATCH } from "./winograd-emit.js";
export { buildWinoDwOut, buildWinoDy } from "./winograd-gradient.js";

/**
 * One Winograd algorithm F(m x m, 5x5): output tile m, alpha = m + 4 points, its matrices, and
 * the suffix of its kernels' names.
 */
export interface WinoTransform {
  suffix: "" | "4";
  m: number;
  /** log2(m): tiles start at (ty << shift, tx << shift). */
  shift: number;
  a: number;
  BT: number[][];
  G: number[][];
  AT: number[][];
}

/**
 * F(2x2, 5x5): its input tiles serve the filter gradient (wino_in); its convolution (wino_wt,
 * wino_out: exact zeros at all-zero windows by its matrices) is kept as winogradConv's tile 2.
 */
export const F2: WinoTransform = { suffix: "", m: 2, shift: 1, a: 6, BT, G, AT };
/** F(4x4, 5x5): the forward pass and the input gradient (wino_wt4, wino_in4, wino_out4). */
export const F4: WinoTransform = { suffix: "4", m: 4, shift: 2, a: 8, BT: BT8, G: G8, AT: AT8 };

/** wino_wt(cin, cout, w, u): U[p][ci][co] = (G W G^T)[p] for the a x a points p. */
export function buildWinoWeights(m: ModuleBuilder, fma: boolean, t: WinoTransform = F2): void {
  const A = t.a;
  const f = m.fn(`wino_wt${t.suffix}`, [I32, I32, I32, I32]);
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
      // pass 1: t[p][j] = sum_i G[p][i] W[i][j] -> scratch[p*5 + j]
      for (let j = 0; j < 5; j++) {
        for (let p = 0; p < A; p++) {
          scratch(f, p * 5 + j);
          combo(
            f,
            t.G[p]!,
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
      // pass 2: U[p][q] = sum_j t[p][j] G[q][j]
      f.get(u).get(ci).get(coB).op("i32.mul").op("i32.add").get(co).op("i32.add").set(dst);
      for (let p = 0; p < A; p++) {
        for (let q = 0; q < A; q++) {
          f.get(dst)
            .get(pStride)
            .i32(p * A + q)
            .op("i32.mul")
            .op("i32.add");
          combo(
            f,
            t.G[q]!,
            (j) => {
              scratch(f, p * 5 + j);
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

/** out = ceil(size / m): tiles along one side of the image. */
function tilesPerSide(f: Fn, t: WinoTransform, size: number, out: number): void {
  f.get(size)
    .i32(t.m - 1)
    .op("i32.add")
    .i32(t.shift)
    .op("i32.shr_u")
    .set(out);
}

/** wino_in's pass 1: s[p][j] = sum_i BT[p][i] X[i][j] -> scratch[p*a + j] (rows: X's rows). */
function inputPass1(f: Fn, t: WinoTransform, rows: number[], cB: number, fma: boolean): void {
  const A = t.a;
  for (let j = 0; j < A; j++) {
    for (let p = 0; p < A; p++) {
      scratch(f, p * A + j);
      combo(
        f,
        t.BT[p]!,
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
}

/** wino_in's pass 2: V[p][k] = sum_j s[p][j] BT[k][j], point p*a + k stored pS bytes apart. */
function inputPass2(f: Fn, t: WinoTransform, ob: number, pS: number, fma: boolean): void {
  const A = t.a;
  for (let p = 0; p < A; p++) {
    for (let k = 0; k < A; k++) {
      f.get(ob)
        .get(pS)
        .i32(p * A + k)
        .op("i32.mul")
        .op("i32.add");
      combo(
        f,
        t.BT[k]!,
        (j) => {
          scratch(f, p * A + j);
          f.op("v128.load", 0);
        },
        fma,
      );
      f.op("v128.store", 0);
    }
  }
}

/**
 * wino_in(n, h, w, c, xp, xpRow, xpImg, v, pS, tS): the a x a input tile under every m x m
 * output tile (ceil(h/m) x ceil(w/m) per image), transformed. The padded input must extend to
 * row and column ceil(h/m)*m + 3 (zeros beyond the image).
 */
export function buildWinoInput(m: ModuleBuilder, fma: boolean, t: WinoTransform = F2): void {
  const A = t.a;
  const f = m.fn(`wino_in${t.suffix}`, [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32]);
  const [n, h, w, c, xp, xpRow, xpImg, v, pS, tS] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  tmpAcc.set(f, f.local(V128));
  const b = f.local(I32);
  const ty = f.local(I32);
  const tx = f.local(I32);
  const c4 = f.local(I32);
  const cB = f.local(I32);
  const th = f.local(I32);
  const tw = f.local(I32);
  const tile = f.local(I32);
  const base = f.local(I32);
  const ob = f.local(I32);
  const rows = Array.from({ length: A }, () => f.local(I32));
  f.get(c).i32(2).op("i32.shl").set(cB);
  tilesPerSide(f, t, h, th);
  tilesPerSide(f, t, w, tw);
  f.i32(0).set(tile);
  f.for(b, { i32: 0 }, { local: n }, 1, () => {
    f.for(ty, { i32: 0 }, { local: th }, 1, () => {
      f.for(tx, { i32: 0 }, { local: tw }, 1, () => {
        // base = xp + b*xpImg + m*ty*xpRow + m*tx*c*4
        f.get(xp).get(b).get(xpImg).op("i32.mul").op("i32.add");
        f.get(ty).i32(t.shift).op("i32.shl").get(xpRow).op("i32.mul").op("i32.add");
        f.get(tx).i32(t.shift).op("i32.shl").get(cB).op("i32.mul").op("i32.add").set(base);
        f.for(c4, { i32: 0 }, { local: cB }, 16, () => {
          for (let i = 0; i < A; i++) {
            f.get(base).get(c4).op("i32.add");
            if (i > 0) f.get(xpRow).i32(i).op("i32.mul").op("i32.add");
            f.set(rows[i]!);
          }
          inputPass1(f, t, rows, cB, fma);
          // V[p][k] -> v + (p*a + k)*pS + tile*tS + c4
          f.get(v).get(tile).get(tS).op("i32.mul").op("i32.add").get(c4).op("i32.add").set(ob);
          inputPass2(f, t, ob, pS, fma);
        });
        f.inc(tile, 1);
      });
    });
  });
}

/** wino_out's pass 1: s[i][j] = sum_p AT[i][p] M[p*a + j] -> scratch[i*a + j]. */
function outputPass1(f: Fn, t: WinoTransform, ib: number, pS: number, fma: boolean): void {
  const A = t.a;
  for (let j = 0; j < A; j++) {
    for (let i = 0; i < t.m; i++) {
      scratch(f, i * A + j);
      combo(
        f,
        t.AT[i]!,
        (p) => {
          f.get(ib)
            .get(pS)
            .i32(p * A + j)
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
 * (mode 4), stored to the m x m output pixels at out; with m > 2 only those inside the image
 * (rh rows and rw columns of the tile are).
 */
function outputPass2(
  f: Fn,
  t: WinoTransform,
  l: {
    mode: number;
    val: number;
    bv: number;
    out: number;
    rowB: number;
    cB: number;
    rh: number;
    rw: number;
  },
  fma: boolean,
): void {
  for (let i = 0; i < t.m; i++) {
    for (let k = 0; k < t.m; k++) {
      combo(
        f,
        t.AT[k]!,
        (j) => {
          scratch(f, i * t.a + j);
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
      const store = () => {
        f.get(l.out);
        if (i > 0) f.get(l.rowB).i32(i).op("i32.mul").op("i32.add");
        if (k > 0) f.get(l.cB).i32(k).op("i32.mul").op("i32.add");
        f.get(l.val).op("v128.store", 0);
      };
      if (t.m === 2) store();
      else
        f.i32(i).get(l.rh).op("i32.lt_s").i32(k).get(l.rw).op("i32.lt_s").op("i32.and").if(store);
    }
  }
}

/** wino_out(n, h, w, c, mm, pS, tS, y, mode, bias) */
export function buildWinoOutput(m: ModuleBuilder, fma: boolean, t: WinoTransform = F2): void {
  const f = m.fn(`wino_out${t.suffix}`, [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32]);
  const [n, h, w, c, mm, pS, tS, y, mode, bias] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  tmpAcc.set(f, f.local(V128));
  const b = f.local(I32);
  const ty = f.local(I32);
  const tx = f.local(I32);
  const c4 = f.local(I32);
  const cB = f.local(I32);
  const th = f.local(I32);
  const tw = f.local(I32);
  const tile = f.local(I32);
  const ib = f.local(I32);
  const out = f.local(I32);
  const rowB = f.local(I32);
  const rh = f.local(I32);
  const rw = f.local(I32);
  const val = f.local(V128);
  const bv = f.local(V128);
  f.get(c).i32(2).op("i32.shl").set(cB);
  f.get(w).get(cB).op("i32.mul").set(rowB);
  tilesPerSide(f, t, h, th);
  tilesPerSide(f, t, w, tw);
  f.i32(0).set(tile);
  f.for(b, { i32: 0 }, { local: n }, 1, () => {
    f.for(ty, { i32: 0 }, { local: th }, 1, () => {
      f.for(tx, { i32: 0 }, { local: tw }, 1, () => {
        // rows and columns of this tile inside the image
        f.get(h).get(ty).i32(t.shift).op("i32.shl").op("i32.sub").set(rh);
        f.get(w).get(tx).i32(t.shift).op("i32.shl").op("i32.sub").set(rw);
        f.for(c4, { i32: 0 }, { local: cB }, 16, () => {
          f.get(mm).get(tile).get(tS).op("i32.mul").op("i32.add").get(c4).op("i32.add").set(ib);
          outputPass1(f, t, ib, pS, fma);
          // out = y + ((b*h + m*ty)*w + m*tx)*c*4 + c4
          f.get(b).get(h).op("i32.mul").get(ty).i32(t.shift).op("i32.shl").op("i32.add");
          f.get(w).op("i32.mul").get(tx).i32(t.shift).op("i32.shl").op("i32.add");
          f.get(cB).op("i32.mul").get(y).op("i32.add").get(c4).op("i32.add").set(out);
          f.get(mode)
            .i32(3)
            .op("i32.ge_u")
            .if(() => f.get(bias).get(c4).op("i32.add").op("v128.load", 0).set(bv));
          outputPass2(f, t, { mode, val, bv, out, rowB, cB, rh, rw }, fma);
        });
        f.inc(tile, 1);
      });
    });
  });
}
