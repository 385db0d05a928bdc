/**
 * The filter gradient's Winograd transforms (see winograd.ts for the algorithm and layouts).
 *
 * The filter gradient dW[i][j][ci][co] = sum_{b,y,x} X[b][y+i][x+j][ci] dY[b][y][x][co] is the
 * same algorithm with the roles swapped, F(5x5, 2x2): per 2x2 tile of dY (F2's tiles, whose
 * transformed input wino_in gives) dW += A5^T [ (G2 dY_t G2^T) . (B^T X_t B) ] A5, summed over
 * tiles in the transformed domain (36 GEMMs [cin x tiles] x [tiles x cout]):
 * - wino_dy(n, h, w, c, dy, dyRow, dyImg, z, pS, tS): Z(p, t, co) = (G2 dY_t G2^T)[p].
 * - wino_dwout(cin, cout, mw, dw): dW[i][j][ci][co] = (A5^T Mw[.][ci][co] A5)[i][j].
 * Its F(5x5, 4x4) dual over F4's tiles rounds ~8x worse than this and is not used.
 */
import { I32, V128, type ModuleBuilder } from "./asm.js";
import { combo, scratch, tmpAcc } from "./winograd-emit.js";
import { AT5, G2 } from "./winograd-matrices.js";

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
