/**
 * The engine's small SIMD kernels: 2x2 max pooling forward and backward (first-maximum rule and
 * ReLU mask, as the tfjs cpu backend), ReLU backward, column sums (bias gradients), SGD with an
 * optional FedProx term, transposes and the 180-degree filter rotation of the input gradient.
 */
import { F32, I32, i32s, V128, type Fn, type ModuleBuilder } from "./asm.js";
import { ZERO16 } from "./micro.js";

/**
 * pool2(n, h, w, c, y, out, outRow, outImg): 2x2 stride-2 max pooling of dense NHWC y
 * ([n][h][w][c], h and w even, c % 4 == 0) into out (strided: out + b*outImg + oy*outRow +
 * ox*c*4).
 */
export function buildPool(m: ModuleBuilder): void {
  const f = m.fn("pool2", [...i32s(8)]);
  const [n, h, w, c, y, out, outRow, outImg] = f.paramList();
  const bi = f.local(I32);
  const oy = f.local(I32);
  const ox = f.local(I32);
  const cc = f.local(I32);
  const src = f.local(I32);
  const dst = f.local(I32);
  const rowB = f.local(I32); // w*c*4
  const cB = f.local(I32); // c*4
  f.get(c!).i32(2).op("i32.shl").set(cB);
  f.get(w!).get(cB).op("i32.mul").set(rowB);
  const hh = f.local(I32);
  const wh = f.local(I32);
  f.get(h!).i32(1).op("i32.shr_u").set(hh);
  f.get(w!).i32(1).op("i32.shr_u").set(wh);
  f.for(bi, { i32: 0 }, { local: n! }, 1, () => {
    f.for(oy, { i32: 0 }, { local: hh }, 1, () => {
      f.for(ox, { i32: 0 }, { local: wh }, 1, () => {
        // src = y + ((b*h + 2*oy)*w + 2*ox)*c*4
        f.get(bi).get(h!).op("i32.mul").get(oy).i32(1).op("i32.shl").op("i32.add");
        f.get(w!).op("i32.mul").get(ox).i32(1).op("i32.shl").op("i32.add");
        f.get(cB).op("i32.mul").get(y!).op("i32.add").set(src);
        f.get(out!).get(bi).get(outImg!).op("i32.mul").op("i32.add");
        f.get(oy).get(outRow!).op("i32.mul").op("i32.add");
        f.get(ox).get(cB).op("i32.mul").op("i32.add").set(dst);
        f.for(cc, { i32: 0 }, { local: cB }, 16, () => {
          f.get(dst);
          f.get(src).op("v128.load", 0);
          f.get(src).get(cB).op("i32.add").op("v128.load", 0).op("f32x4.max");
          f.get(src).get(rowB).op("i32.add").op("v128.load", 0);
          f.get(src).get(rowB).op("i32.add").get(cB).op("i32.add").op("v128.load", 0);
          f.op("f32x4.max").op("f32x4.max");
          f.op("v128.store", 0);
          f.inc(src, 16);
          f.inc(dst, 16);
        });
      });
    });
  });
}

/** Emits: target = base + bi*img + (scale*oy)*row + (scale*ox)*cB (a strided NHWC address). */
function stridedAddress(
  f: Fn,
  at: { bi: number; oy: number; ox: number; cB: number },
  t: { base: number; row: number; img: number; scale: number },
  target: number,
): void {
  f.get(t.base).get(at.bi).get(t.img).op("i32.mul").op("i32.add");
  f.get(at.oy);
  if (t.scale > 1) f.i32(t.scale).op("i32.mul");
  f.get(t.row).op("i32.mul").op("i32.add");
  f.get(at.ox);
  if (t.scale > 1) f.i32(t.scale).op("i32.mul");
  f.get(at.cB).op("i32.mul").op("i32.add").set(target);
}

/**
 * Emits one window position of pool2bwd: e = (v == mx) & !taken; dst = g & e; taken |= e
 * (v loaded from addr(), the result stored at dstAddr()).
 */
function routeIfFirstMax(
  f: Fn,
  v: { mx: number; g: number; taken: number; e: number },
  addr: () => void,
  dstAddr: () => void,
): void {
  addr();
  f.op("v128.load", 0).get(v.mx).op("f32x4.eq").get(v.taken).op("v128.andnot").set(v.e);
  dstAddr();
  f.get(v.g).get(v.e).op("v128.and").op("v128.store", 0);
  f.get(v.taken).get(v.e).op("v128.or").set(v.taken);
}

/**
 * pool2bwd(n, h, w, c, y, pooled, pRow, pImg, dp, dpRow, dpImg, dy, dyRow, dyImg): the gradient
 * of relu-then-2x2-maxpool: each pooled output's gradient goes to the FIRST position (row-major
 * in its window) holding the maximum, and nowhere when the maximum is <= 0 (ReLU's gradient at
 * 0 is 0). y is the dense pre-pool activation [n][h][w][c]; dy (strided like pooled/dp, at the
 * full resolution) receives every position of every window (zeros included).
 */
export function buildPoolBwd(m: ModuleBuilder): void {
  const f = m.fn("pool2bwd", [...i32s(14)]);
  const [n, h, w, c, y, pooled, pRow, pImg, dp, dpRow, dpImg, dy, dyRow, dyImg] = f.paramList();
  const bi = f.local(I32);
  const oy = f.local(I32);
  const ox = f.local(I32);
  const cc = f.local(I32);
  const cB = f.local(I32);
  const rowB = f.local(I32);
  const hh = f.local(I32);
  const wh = f.local(I32);
  const src = f.local(I32);
  const pp = f.local(I32);
  const gp = f.local(I32);
  const dst = f.local(I32);
  const mx = f.local(V128);
  const g = f.local(V128);
  const taken = f.local(V128);
  const e = f.local(V128);
  f.get(c!).i32(2).op("i32.shl").set(cB);
  f.get(w!).get(cB).op("i32.mul").set(rowB);
  f.get(h!).i32(1).op("i32.shr_u").set(hh);
  f.get(w!).i32(1).op("i32.shr_u").set(wh);
  f.for(bi, { i32: 0 }, { local: n! }, 1, () => {
    f.for(oy, { i32: 0 }, { local: hh }, 1, () => {
      f.for(ox, { i32: 0 }, { local: wh }, 1, () => {
        f.get(bi).get(h!).op("i32.mul").get(oy).i32(1).op("i32.shl").op("i32.add");
        f.get(w!).op("i32.mul").get(ox).i32(1).op("i32.shl").op("i32.add");
        f.get(cB).op("i32.mul").get(y!).op("i32.add").set(src);
        const at = { bi, oy, ox, cB };
        stridedAddress(f, at, { base: pooled!, row: pRow!, img: pImg!, scale: 1 }, pp);
        stridedAddress(f, at, { base: dp!, row: dpRow!, img: dpImg!, scale: 1 }, gp);
        stridedAddress(f, at, { base: dy!, row: dyRow!, img: dyImg!, scale: 2 }, dst);
        f.for(cc, { i32: 0 }, { local: cB }, 16, () => {
          f.get(pp).op("v128.load", 0).set(mx);
          f.get(gp).op("v128.load", 0).set(g);
          // taken = !(mx > 0): lanes whose gradient is already routed (or dropped by ReLU)
          f.get(mx)
            .op("v128.const", ...ZERO16)
            .op("f32x4.gt")
            .op("v128.not")
            .set(taken);
          const pos = (addr: () => void, dstAddr: () => void) =>
            routeIfFirstMax(f, { mx, g, taken, e }, addr, dstAddr);
          pos(
            () => f.get(src),
            () => f.get(dst),
          );
          pos(
            () => f.get(src).get(cB).op("i32.add"),
            () => f.get(dst).get(cB).op("i32.add"),
          );
          pos(
            () => f.get(src).get(rowB).op("i32.add"),
            () => f.get(dst).get(dyRow!).op("i32.add"),
          );
          pos(
            () => f.get(src).get(rowB).op("i32.add").get(cB).op("i32.add"),
            () => f.get(dst).get(dyRow!).op("i32.add").get(cB).op("i32.add"),
          );
          f.inc(src, 16);
          f.inc(pp, 16);
          f.inc(gp, 16);
          f.inc(dst, 16);
        });
      });
    });
  });
}

/** relubwd(count, g, act): g[i] = act[i] > 0 ? g[i] : 0 (count % 4 == 0). */
export function buildReluBwd(m: ModuleBuilder): void {
  const f = m.fn("relubwd", [I32, I32, I32]);
  const [count, g, act] = [0, 1, 2];
  const end = f.local(I32);
  f.get(g).get(count).i32(2).op("i32.shl").op("i32.add").set(end);
  f.block(() => {
    f.get(g).get(end).op("i32.ge_u").op("br_if", 0);
    f.code.push(0x03, 0x40);
    f.get(g);
    f.get(g).op("v128.load", 0);
    f.get(act)
      .op("v128.load", 0)
      .op("v128.const", ...ZERO16)
      .op("f32x4.gt");
    f.op("v128.and").op("v128.store", 0);
    f.inc(g, 16).inc(act, 16);
    f.get(g).get(end).op("i32.lt_u").op("br_if", 0);
    f.code.push(0x0b);
  });
}

/**
 * colsum(rows, cols, src, srcRow, dst, accumulate): dst[j] (+)= sum_r src[r*srcRow + 4j]
 * (bias gradients). Columns in blocks of 32 (eight accumulators: one pass over the rows reads
 * two whole cache lines per row, and the eight additions are independent), then groups of 4,
 * then scalar. Column groups of 4 outside a row loop re-read a 3 MB activation gradient 8-16
 * times and ran at ~5 GB/s.
 */
export function buildColSum(m: ModuleBuilder): void {
  const f = m.fn("colsum", [...i32s(6)]);
  const [rows, cols, src, srcRow, dst, accumulate] = [0, 1, 2, 3, 4, 5];
  const j = f.local(I32);
  const r = f.local(I32);
  const p = f.local(I32);
  const acc = Array.from({ length: 8 }, () => f.local(V128));
  const sf = f.local(F32);
  const c32 = f.local(I32);
  const c4 = f.local(I32);
  f.get(cols).i32(-32).op("i32.and").set(c32);
  f.get(cols).i32(-4).op("i32.and").set(c4);
  // Sums `width` vectors of columns j.. over all rows into dst.
  const block = (width: number) => {
    for (let v = 0; v < width; v++) f.op("v128.const", ...ZERO16).set(acc[v]!);
    f.get(src).get(j).i32(2).op("i32.shl").op("i32.add").set(p);
    f.for(r, { i32: 0 }, { local: rows }, 1, () => {
      for (let v = 0; v < width; v++) {
        f.get(acc[v]!)
          .get(p)
          .op("v128.load", 16 * v)
          .op("f32x4.add")
          .set(acc[v]!);
      }
      f.inc(p, { local: srcRow });
    });
    for (let v = 0; v < width; v++) {
      f.get(accumulate).if(() => {
        f.get(acc[v]!)
          .get(dst)
          .get(j)
          .i32(2)
          .op("i32.shl")
          .op("i32.add")
          .op("v128.load", 16 * v);
        f.op("f32x4.add").set(acc[v]!);
      });
      f.get(dst)
        .get(j)
        .i32(2)
        .op("i32.shl")
        .op("i32.add")
        .get(acc[v]!)
        .op("v128.store", 16 * v);
    }
  };
  f.for(j, { i32: 0 }, { local: c32 }, 32, () => block(8));
  f.for(j, { local: c32 }, { local: c4 }, 4, () => block(1));
  f.for(j, { local: c4 }, { local: cols }, 1, () => {
    f.f32(0).set(sf);
    f.get(src).get(j).i32(2).op("i32.shl").op("i32.add").set(p);
    f.for(r, { i32: 0 }, { local: rows }, 1, () => {
      f.get(sf).get(p).op("f32.load", 0).op("f32.add").set(sf);
      f.inc(p, { local: srcRow });
    });
    f.get(accumulate).if(() => {
      f.get(sf).get(dst).get(j).i32(2).op("i32.shl").op("i32.add").op("f32.load", 0);
      f.op("f32.add").set(sf);
    });
    f.get(dst).get(j).i32(2).op("i32.shl").op("i32.add").get(sf).op("f32.store", 0);
  });
}

/**
 * sgd(count, w, g, lr, mu, w0): w -= lr * (g + mu * (w - w0)); w0 is read only when mu != 0.
 * count % 4 == 0 for the vector loop; a scalar loop takes the rest.
 */
export function buildSgd(m: ModuleBuilder): void {
  const f = m.fn("sgd", [I32, I32, I32, F32, F32, I32]);
  const [count, w, g, lr, mu, w0] = [0, 1, 2, 3, 4, 5];
  const end = f.local(I32);
  const end4 = f.local(I32);
  const vlr = f.local(V128);
  const vmu = f.local(V128);
  const wv = f.local(V128);
  f.get(w).get(count).i32(2).op("i32.shl").op("i32.add").set(end);
  f.get(w).get(count).i32(-4).op("i32.and").i32(2).op("i32.shl").op("i32.add").set(end4);
  f.get(lr).op("f32.neg").op("f32x4.splat").set(vlr);
  f.get(mu).op("f32x4.splat").set(vmu);
  f.get(mu)
    .f32(0)
    .op("f32.eq")
    .if(
      () => {
        f.block(() => {
          f.get(w).get(end4).op("i32.ge_u").op("br_if", 0);
          f.code.push(0x03, 0x40);
          f.get(w);
          f.get(w).op("v128.load", 0).get(g).op("v128.load", 0).get(vlr).op("f32x4.mul");
          f.op("f32x4.add").op("v128.store", 0);
          f.inc(w, 16).inc(g, 16);
          f.get(w).get(end4).op("i32.lt_u").op("br_if", 0);
          f.code.push(0x0b);
        });
      },
      () => {
        f.block(() => {
          f.get(w).get(end4).op("i32.ge_u").op("br_if", 0);
          f.code.push(0x03, 0x40);
          f.get(w).op("v128.load", 0).set(wv);
          f.get(w);
          f.get(wv);
          f.get(g).op("v128.load", 0);
          f.get(wv).get(w0).op("v128.load", 0).op("f32x4.sub").get(vmu).op("f32x4.mul");
          f.op("f32x4.add").get(vlr).op("f32x4.mul").op("f32x4.add");
          f.op("v128.store", 0);
          f.inc(w, 16).inc(g, 16).inc(w0, 16);
          f.get(w).get(end4).op("i32.lt_u").op("br_if", 0);
          f.code.push(0x0b);
        });
      },
    );
  // scalar tail
  const ws = f.local(F32);
  const gs = f.local(F32);
  f.block(() => {
    f.get(w).get(end).op("i32.ge_u").op("br_if", 0);
    f.code.push(0x03, 0x40);
    f.get(w).op("f32.load", 0).set(ws);
    f.get(g).op("f32.load", 0).set(gs);
    f.get(mu)
      .f32(0)
      .op("f32.ne")
      .if(() => {
        f.get(gs).get(ws).get(w0).op("f32.load", 0).op("f32.sub").get(mu).op("f32.mul");
        f.op("f32.add").set(gs);
      });
    f.get(w).get(ws).get(gs).get(lr).op("f32.mul").op("f32.sub").op("f32.store", 0);
    f.inc(w, 4).inc(g, 4).inc(w0, 4);
    f.get(w).get(end).op("i32.lt_u").op("br_if", 0);
    f.code.push(0x0b);
  });
}

const LO = [0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23];
const HI = [8, 9, 10, 11, 24, 25, 26, 27, 12, 13, 14, 15, 28, 29, 30, 31];
const LO64 = [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];
const HI64 = [8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31];

/**
 * transpose(rows, cols, src, srcRow, dst, dstRow): dst[c*dstRow + 4r] = src[r*srcRow + 4c].
 * 4x4 blocks by shuffles (four v128 loads, eight shuffles, four stores), the shorter dimension
 * in the inner loop so a block row's cache lines are reused while they are in L1 (one float at a
 * time, writing a 3136-row column per source row, took ~1 ms for fc1's 32 x 3136 input); the
 * edges scalar.
 */
export function buildTranspose(m: ModuleBuilder): void {
  const f = m.fn("transpose", [...i32s(6)]);
  const [rows, cols, src, srcRow, dst, dstRow] = [0, 1, 2, 3, 4, 5];
  const r = f.local(I32);
  const c = f.local(I32);
  const s = f.local(I32);
  const d = f.local(I32);
  const r4 = f.local(I32);
  const c4 = f.local(I32);
  const a = Array.from({ length: 4 }, () => f.local(V128));
  const t = Array.from({ length: 4 }, () => f.local(V128));
  f.get(rows).i32(-4).op("i32.and").set(r4);
  f.get(cols).i32(-4).op("i32.and").set(c4);
  const shuffle = (x: number, y: number, lanes: number[], out: number) =>
    f
      .get(x)
      .get(y)
      .op("i8x16.shuffle", ...lanes)
      .set(out);
  // The 4x4 block at (r, c).
  const block = () => {
    f.get(src).get(r).get(srcRow).op("i32.mul").op("i32.add");
    f.get(c).i32(2).op("i32.shl").op("i32.add").set(s);
    for (let i = 0; i < 4; i++) {
      f.get(s);
      if (i > 0) f.get(srcRow).i32(i).op("i32.mul").op("i32.add");
      f.op("v128.load", 0).set(a[i]!);
    }
    shuffle(a[0]!, a[1]!, LO, t[0]!); // a0[0] a1[0] a0[1] a1[1]
    shuffle(a[0]!, a[1]!, HI, t[1]!); // a0[2] a1[2] a0[3] a1[3]
    shuffle(a[2]!, a[3]!, LO, t[2]!);
    shuffle(a[2]!, a[3]!, HI, t[3]!);
    shuffle(t[0]!, t[2]!, LO64, a[0]!); // column c
    shuffle(t[0]!, t[2]!, HI64, a[1]!);
    shuffle(t[1]!, t[3]!, LO64, a[2]!);
    shuffle(t[1]!, t[3]!, HI64, a[3]!);
    f.get(dst).get(c).get(dstRow).op("i32.mul").op("i32.add");
    f.get(r).i32(2).op("i32.shl").op("i32.add").set(d);
    for (let i = 0; i < 4; i++) {
      f.get(d);
      if (i > 0) f.get(dstRow).i32(i).op("i32.mul").op("i32.add");
      f.get(a[i]!).op("v128.store", 0);
    }
  };
  f.get(rows)
    .get(cols)
    .op("i32.le_s")
    .if(
      () =>
        f.for(c, { i32: 0 }, { local: c4 }, 4, () => f.for(r, { i32: 0 }, { local: r4 }, 4, block)),
      () =>
        f.for(r, { i32: 0 }, { local: r4 }, 4, () => f.for(c, { i32: 0 }, { local: c4 }, 4, block)),
    );
  // Edges: rows r4.. (all columns), then columns c4.. of rows 0..r4.
  const scalar = (r0: number | { local: number }, r1: number, c0: number | { local: number }) =>
    f.for(r, typeof r0 === "number" ? { i32: r0 } : r0, { local: r1 }, 1, () =>
      f.for(c, typeof c0 === "number" ? { i32: c0 } : c0, { local: cols }, 1, () => {
        f.get(dst).get(c).get(dstRow).op("i32.mul").op("i32.add");
        f.get(r).i32(2).op("i32.shl").op("i32.add");
        f.get(src).get(r).get(srcRow).op("i32.mul").op("i32.add");
        f.get(c).i32(2).op("i32.shl").op("i32.add");
        f.op("f32.load", 0).op("f32.store", 0);
      }),
    );
  scalar({ local: r4 }, rows, 0);
  scalar(0, r4, { local: c4 });
}

/**
 * rotflip(kh, kw, cin, cout, w, wt): wt[i][j][co][ci] = w[kh-1-i][kw-1-j][ci][co] (the filter
 * of the input gradient as a forward convolution).
 */
export function buildRotFlip(m: ModuleBuilder): void {
  const f = m.fn("rotflip", [...i32s(6)]);
  const [kh, kw, cin, cout, w, wt] = [0, 1, 2, 3, 4, 5];
  const t = f.local(I32);
  const taps = f.local(I32);
  const co = f.local(I32);
  const ci = f.local(I32);
  const s = f.local(I32);
  const d = f.local(I32);
  const blk = f.local(I32); // cin*cout*4
  f.get(kh).get(kw).op("i32.mul").set(taps);
  f.get(cin).get(cout).op("i32.mul").i32(2).op("i32.shl").set(blk);
  f.for(t, { i32: 0 }, { local: taps }, 1, () => {
    // destination tap t reads source tap (taps-1-t): rotation by 180 degrees
    f.get(wt).get(t).get(blk).op("i32.mul").op("i32.add").set(d);
    f.for(co, { i32: 0 }, { local: cout }, 1, () => {
      f.get(w)
        .get(taps)
        .i32(1)
        .op("i32.sub")
        .get(t)
        .op("i32.sub")
        .get(blk)
        .op("i32.mul")
        .op("i32.add");
      f.get(co).i32(2).op("i32.shl").op("i32.add").set(s);
      f.for(ci, { i32: 0 }, { local: cin }, 1, () => {
        f.get(d).get(s).op("f32.load", 0).op("f32.store", 0);
        f.inc(d, 4);
        f.get(s).get(cout).i32(2).op("i32.shl").op("i32.add").set(s);
      });
    });
  });
}
