/**
 * The kernels that run the micro-kernel (micro.ts) over three addressings of A and B: a strided
 * GEMM with optional 8-column panel layouts, a convolution as an implicit GEMM, and the filter
 * gradient as an implicit GEMM (see kernels.ts).
 */
import { F32, I32, i32s, type ModuleBuilder } from "./asm.js";
import {
  byRows,
  epilogue,
  epilogueLocals,
  kloop,
  loadAcc,
  storeAcc,
  tileLocals,
  zeroAcc,
  type Tile,
} from "./micro.js";

/**
 * gemm(M, N, K, a, ars, aks, akb, akj, b, bks, bps, c, crs, cps, mode, alpha, bias):
 * C[M,N] (op)= A[M,K] B[K,N] with byte addressing
 *   A(r,k) = a + r*ars + (k % akb)*aks + floor(k / akb)*akj   (akb >= K: plain strided A)
 *   B(k,j) = b + k*bks + floor(j/8)*bps + (j%8)*4             (bps = 32: row-major B)
 *   C(r,j) = c + r*crs + floor(j/8)*cps + (j%8)*4             (cps = 32: row-major C)
 * so B and C may be stored as 8-column panels ([N/8][K][8]: bks = 32, bps = 32K) and A may be
 * read out of such a panel layout (akb = 8). Loops: column panels outside, 4-row groups inside
 * (the other order measured no better, also for tall narrow outputs).
 */
export function buildGemm(m: ModuleBuilder, fma: boolean): void {
  const f = m.fn("gemm", [...i32s(15), F32, I32]);
  const [M, N, K, a, ars, aks, akb, akj, b, bks, bps, c, crs, cps, mode, alpha, bias] =
    f.paramList();
  const tl = tileLocals(f);
  const jp = f.local(I32);
  const i0 = f.local(I32);
  const mr = f.local(I32);
  const nr = f.local(I32);
  const bEnd = f.local(I32);
  const ct = f.local(I32);
  const bt = f.local(I32);
  const bPanel = f.local(I32);
  const cPanel = f.local(I32);
  const kk = f.local(I32);
  const klen = f.local(I32);
  const aSkip = f.local(I32);
  const e = epilogueLocals(f, ct, { local: crs! }, nr, mode!, alpha!, bt);
  f.get(akb!)
    .get(K!)
    .op("i32.gt_s")
    .if(() => f.get(K!).set(akb!));
  const panelLoop = (inner: () => void) =>
    f.for(jp, { i32: 0 }, { local: N! }, 8, () => {
      f.get(N!).get(jp).op("i32.sub").set(nr);
      f.get(nr)
        .i32(8)
        .op("i32.gt_s")
        .if(() => f.i32(8).set(nr));
      f.get(bias!).get(jp).i32(2).op("i32.shl").op("i32.add").set(bt);
      // panel jp's B and C columns
      f.get(jp).i32(3).op("i32.shr_u").set(bPanel);
      f.get(c!).get(bPanel).get(cps!).op("i32.mul").op("i32.add").set(cPanel);
      f.get(b!).get(bPanel).get(bps!).op("i32.mul").op("i32.add").set(bPanel);
      inner();
    });
  const rowLoop = (inner: () => void) =>
    f.for(i0, { i32: 0 }, { local: M! }, 4, () => {
      f.get(M!).get(i0).op("i32.sub").set(mr);
      f.get(mr)
        .i32(4)
        .op("i32.gt_s")
        .if(() => f.i32(4).set(mr));
      inner();
    });
  const tile = () =>
    byRows(f, mr, (rows) => {
      const t: Tile = { ...tl, mr: rows };
      for (let r = 0; r < rows; r++) {
        f.get(a!).get(i0).i32(r).op("i32.add").get(ars!).op("i32.mul").op("i32.add").set(t.a[r]!);
      }
      f.get(bPanel).set(t.b);
      zeroAcc(f, t);
      // k in blocks of akb steps; A jumps by akj between blocks, B runs on.
      f.for(kk, { i32: 0 }, { local: K! }, { local: akb! }, () => {
        f.get(K!).get(kk).op("i32.sub").set(klen);
        f.get(klen)
          .get(akb!)
          .op("i32.gt_s")
          .if(() => f.get(akb!).set(klen));
        f.get(t.b).get(klen).get(bks!).op("i32.mul").op("i32.add").set(bEnd);
        kloop(f, t, fma, { local: aks! }, { local: bks! }, bEnd);
        f.get(akj!).get(klen).get(aks!).op("i32.mul").op("i32.sub").set(aSkip);
        for (let r = 0; r < rows; r++) f.inc(t.a[r]!, { local: aSkip });
      });
      f.get(cPanel).get(i0).get(crs!).op("i32.mul").op("i32.add").set(ct);
      epilogue(f, t, e);
    });
  panelLoop(() => rowLoop(tile));
}

/**
 * conv(n, h, w, cin, kh, kw, xp, xpRow, xpImg, wt, cout, out, mode, alpha, bias):
 * out[b][y][x][co] (op)= sum_{i,j,ci} xp[b*xpImg + (y+i)*xpRow + (x+j)*cin*4 + ci*4] *
 * wt[((i*kw + j)*cin + ci)*cout + co], for y < h, x < w. xp points at the padded input's
 * origin; out is dense [n][h][w][cout].
 */
export function buildConv(m: ModuleBuilder, fma: boolean): void {
  const f = m.fn("conv", [...i32s(13), F32, I32]);
  const [n, h, w, cin, kh, kw, xp, xpRow, xpImg, wt, cout, out, mode, alpha, bias] = f.paramList();
  const tl = tileLocals(f);
  const bi = f.local(I32);
  const y = f.local(I32);
  const x0 = f.local(I32);
  const jp = f.local(I32);
  const mr = f.local(I32);
  const nr = f.local(I32);
  const i = f.local(I32);
  const qBytes = f.local(I32); // kw*cin*4: k-steps per kernel row, in bytes of A
  const rowSkip = f.local(I32); // xpRow - qBytes
  const bRow = f.local(I32); // bytes of B per kernel row = kw*cin*cout*4
  const bEnd = f.local(I32);
  const base = f.local(I32);
  const ct = f.local(I32);
  const bt = f.local(I32);
  const crs = f.local(I32);
  const e = epilogueLocals(f, ct, { local: crs }, nr, mode!, alpha!, bt);
  f.get(kw!).get(cin!).op("i32.mul").i32(2).op("i32.shl").set(qBytes);
  f.get(xpRow!).get(qBytes).op("i32.sub").set(rowSkip);
  f.get(qBytes).get(cout!).op("i32.mul").set(bRow);
  f.get(cout!).i32(2).op("i32.shl").set(crs);
  f.for(bi, { i32: 0 }, { local: n! }, 1, () => {
    f.for(y, { i32: 0 }, { local: h! }, 1, () => {
      f.for(x0, { i32: 0 }, { local: w! }, 4, () => {
        f.get(w!).get(x0).op("i32.sub").set(mr);
        f.get(mr)
          .i32(4)
          .op("i32.gt_s")
          .if(() => f.i32(4).set(mr));
        // base = xp + b*xpImg + y*xpRow + x0*cin*4
        f.get(xp!).get(bi).get(xpImg!).op("i32.mul").op("i32.add");
        f.get(y).get(xpRow!).op("i32.mul").op("i32.add");
        f.get(x0).get(cin!).op("i32.mul").i32(2).op("i32.shl").op("i32.add").set(base);
        f.for(jp, { i32: 0 }, { local: cout! }, 8, () => {
          f.get(cout!).get(jp).op("i32.sub").set(nr);
          f.get(nr)
            .i32(8)
            .op("i32.gt_s")
            .if(() => f.i32(8).set(nr));
          f.get(bias!).get(jp).i32(2).op("i32.shl").op("i32.add").set(bt);
          byRows(f, mr, (rows) => {
            const t: Tile = { ...tl, mr: rows };
            for (let r = 0; r < rows; r++) {
              f.get(base)
                .get(cin!)
                .i32(r * 4)
                .op("i32.mul")
                .op("i32.add")
                .set(t.a[r]!);
            }
            f.get(wt!).get(jp).i32(2).op("i32.shl").op("i32.add").set(t.b);
            zeroAcc(f, t);
            f.for(i, { i32: 0 }, { local: kh! }, 1, () => {
              f.get(t.b).get(bRow).op("i32.add").set(bEnd);
              kloop(f, t, fma, { i32: 4 }, { local: crs }, bEnd);
              for (let r = 0; r < rows; r++) f.inc(t.a[r]!, { local: rowSkip });
            });
            // ct = out + (((b*h + y)*w + x0)*cout + jp)*4
            f.get(bi).get(h!).op("i32.mul").get(y).op("i32.add").get(w!).op("i32.mul");
            f.get(x0).op("i32.add").get(cout!).op("i32.mul").get(jp).op("i32.add");
            f.i32(2).op("i32.shl").get(out!).op("i32.add").set(ct);
            epilogue(f, t, e);
          });
        });
      });
    });
  });
}

/**
 * convdw(n, h, w, cin, kh, kw, xp, xpRow, xpImg, dy, dyRow, dyImg, cout, dw, accumulate, yb):
 * dw[i][j][ci][co] (+)= sum_{b,y,x} xp[b*xpImg + (y+i)*xpRow + (x+j)*cin*4 + ci*4] *
 * dy[b*dyImg + y*dyRow + x*cout*4 + co*4]  (the filter gradient of `conv`; cout % 8 == 0).
 *
 * Blocked over k: the batch's output rows are taken `yb` at a time, and every tile of dw sweeps
 * that block (partial sums stay in dw between blocks). A block's slices of xp and dy fit in L1,
 * so the 4 row groups sharing an xp cache line and the 2 panels sharing a dy line read it from
 * L1; without blocking each tile streamed the whole batch from L2 with half-used lines.
 */
export function buildConvDw(m: ModuleBuilder, fma: boolean): void {
  const f = m.fn("convdw", [...i32s(16)]);
  const [n, h, w, cin, kh, kw, xp, xpRow, xpImg, dy, dyRow, dyImg, cout, dw, accumulate, yb] =
    f.paramList();
  const tl = tileLocals(f);
  const i = f.local(I32);
  const q0 = f.local(I32);
  const qn = f.local(I32);
  const jp = f.local(I32);
  const mr = f.local(I32);
  const bi = f.local(I32);
  const y0 = f.local(I32);
  const y = f.local(I32);
  const yEnd = f.local(I32);
  const bEnd = f.local(I32);
  const aStep = f.local(I32); // cin*4
  const aRowSkip = f.local(I32); // xpRow - w*cin*4
  const bStep = f.local(I32); // cout*4
  const bRowBytes = f.local(I32); // w*cout*4
  const bRowSkip = f.local(I32); // dyRow - w*cout*4
  const ct = f.local(I32);
  const fresh = f.local(I32); // first block and not accumulating: start from zero
  f.get(kw!).get(cin!).op("i32.mul").set(qn);
  f.get(cin!).i32(2).op("i32.shl").set(aStep);
  f.get(xpRow!).get(w!).get(aStep).op("i32.mul").op("i32.sub").set(aRowSkip);
  f.get(cout!).i32(2).op("i32.shl").set(bStep);
  f.get(w!).get(bStep).op("i32.mul").set(bRowBytes);
  f.get(dyRow!).get(bRowBytes).op("i32.sub").set(bRowSkip);
  f.for(bi, { i32: 0 }, { local: n! }, 1, () => {
    f.for(y0, { i32: 0 }, { local: h! }, { local: yb! }, () => {
      f.get(y0).get(yb!).op("i32.add").set(yEnd);
      f.get(yEnd)
        .get(h!)
        .op("i32.gt_s")
        .if(() => f.get(h!).set(yEnd));
      f.get(bi).get(y0).op("i32.or").i32(0).op("i32.eq").get(accumulate!).op("i32.eqz");
      f.op("i32.and").set(fresh);
      f.for(i, { i32: 0 }, { local: kh! }, 1, () => {
        f.for(q0, { i32: 0 }, { local: qn }, 4, () => {
          f.get(qn).get(q0).op("i32.sub").set(mr);
          f.get(mr)
            .i32(4)
            .op("i32.gt_s")
            .if(() => f.i32(4).set(mr));
          f.for(jp, { i32: 0 }, { local: cout! }, 8, () => {
            // ct = dw + ((i*qn + q0)*cout + jp)*4
            f.get(i).get(qn).op("i32.mul").get(q0).op("i32.add").get(cout!).op("i32.mul");
            f.get(jp).op("i32.add").i32(2).op("i32.shl").get(dw!).op("i32.add").set(ct);
            byRows(f, mr, (rows) => {
              const t: Tile = { ...tl, mr: rows };
              // a[r] = xp + b*xpImg + (y0+i)*xpRow + (q0 + r)*4
              for (let r = 0; r < rows; r++) {
                f.get(xp!).get(bi).get(xpImg!).op("i32.mul").op("i32.add");
                f.get(y0).get(i).op("i32.add").get(xpRow!).op("i32.mul").op("i32.add");
                f.get(q0).i32(r).op("i32.add").i32(2).op("i32.shl").op("i32.add").set(t.a[r]!);
              }
              f.get(dy!).get(bi).get(dyImg!).op("i32.mul").op("i32.add");
              f.get(y0).get(dyRow!).op("i32.mul").op("i32.add");
              f.get(jp).i32(2).op("i32.shl").op("i32.add").set(t.b);
              f.get(fresh).if(
                () => zeroAcc(f, t),
                () => loadAcc(f, t, ct, { local: bStep }),
              );
              f.for(y, { local: y0 }, { local: yEnd }, 1, () => {
                f.get(t.b).get(bRowBytes).op("i32.add").set(bEnd);
                kloop(f, t, fma, { local: aStep }, { local: bStep }, bEnd);
                for (let r = 0; r < rows; r++) f.inc(t.a[r]!, { local: aRowSkip });
                f.inc(t.b, { local: bRowSkip });
              });
              storeAcc(f, t, ct, { local: bStep });
            });
          });
        });
      });
    });
  });
}
