/**
 * The engine's hand-written WebAssembly SIMD kernels (assembled by asm.ts at start-up).
 *
 * Everything heavy is one register-blocked micro-kernel: a tile of up to 4 rows x 8 columns of
 * C held in eight v128 accumulators, advanced one k-step at a time (two v128 loads of B, one
 * broadcast load of A per row, eight multiply-adds; relaxed-SIMD FMA where the runtime has it).
 * The k-loop is deliberately NOT unrolled: V8's TurboFan schedules every load of an unrolled body
 * ahead of the arithmetic and then spills accumulators to the stack (measured: 4x unrolled ran at
 * 20-27 GFLOP/s, not unrolled at 42-46 GFLOP/s on the project's 2-core EPYC, ~90% of its wasm
 * SIMD peak). The kernels differ only in how A and B are addressed along k:
 *
 * - gemm: C[M,N] (op)= A[M,K] B[K,N] with A(r,k) = a + r*ars + k*aks (bytes), so A may be read
 *   row-major (aks = 4) or transposed (ars = 4), and B(k,n) = b + k*bks + 4n.
 * - conv: a 'same'/'valid' stride-1 convolution as an implicit GEMM over a zero-padded NHWC input:
 *   rows are 4 adjacent output pixels of one image row, k runs over (kernel row i, then
 *   (kernel column j, input channel) contiguously in memory), B is the HWIO filter as is.
 * - convdw: the filter gradient as an implicit GEMM: rows are (i, j*Cin+ci) (4 adjacent floats
 *   of the padded input), k runs over every output pixel of the batch, B is dy.
 *
 * Epilogues (mode): 0 C = acc, 1 C += acc, 2 C += alpha*acc (an SGD step straight into the
 * weights), 3 C = acc + bias, 4 C = max(acc + bias, 0). Column tails (N not a multiple of 8) go
 * through a scratch tile and a scalar loop.
 *
 * Plus small SIMD kernels: 2x2 max pooling forward / backward (first-maximum rule and ReLU mask,
 * as the tfjs cpu backend), ReLU backward, column sums (bias gradients), SGD with an optional
 * FedProx term, transposes and the 180-degree filter rotation of the input gradient.
 *
 * All pointers are byte offsets into the memory the module imports; buffers read by the
 * micro-kernel must have 32 bytes of slack after them (column tails read past the last row).
 */
import { F32, Fn, hasRelaxedSimd, I32, ModuleBuilder, V128, type Operand } from "./asm.js";
import { wasm, type WasmModule } from "./wasm-api.js";
import {
  buildWinoDwOut,
  buildWinoDy,
  buildWinoInput,
  buildWinoOutput,
  buildWinoWeights,
} from "./winograd.js";

const ZERO16 = new Array<number>(16).fill(0);

/** Mode values of the kernels' epilogue. */
export const MODE = { store: 0, add: 1, axpy: 2, bias: 3, biasRelu: 4 } as const;

/**
 * Bytes at the start of memory reserved for scratch: the column-tail tile (4 rows x 8 floats at
 * 0) and the Winograd transforms' 36 vectors (at WINO_SCRATCH = 256).
 */
export const SCRATCH_BYTES = 1024;

interface Tile {
  mr: number;
  a: number[];
  b: number;
  acc: number[];
  b0: number;
  b1: number;
  av: number;
}

/** Emits the shared locals of a micro-kernel tile (allocated once per function). */
function tileLocals(f: Fn): Omit<Tile, "mr"> {
  return {
    a: [f.local(I32), f.local(I32), f.local(I32), f.local(I32)],
    b: f.local(I32),
    acc: Array.from({ length: 8 }, () => f.local(V128)),
    b0: f.local(V128),
    b1: f.local(V128),
    av: f.local(V128),
  };
}

/** acc = 0 for the tile's rows. */
function zeroAcc(f: Fn, t: Tile): void {
  for (let i = 0; i < 2 * t.mr; i++) f.op("v128.const", ...ZERO16).set(t.acc[i]!);
}

/** acc = C (a full 8-column tile at c, rows crs bytes apart). */
function loadAcc(f: Fn, t: Tile, c: number, crs: Operand): void {
  for (let r = 0; r < t.mr; r++) {
    for (let h = 0; h < 2; h++) {
      f.get(c);
      if (r > 0) f.val(crs).i32(r).op("i32.mul").op("i32.add");
      f.op("v128.load", 16 * h).set(t.acc[2 * r + h]!);
    }
  }
}

/** C = acc (a full 8-column tile). */
function storeAcc(f: Fn, t: Tile, c: number, crs: Operand): void {
  for (let r = 0; r < t.mr; r++) {
    for (let h = 0; h < 2; h++) {
      f.get(c);
      if (r > 0) f.val(crs).i32(r).op("i32.mul").op("i32.add");
      f.get(t.acc[2 * r + h]!).op("v128.store", 16 * h);
    }
  }
}

/** One k-step: acc[r] += A(r,k) * B(k, 0..7), no pointer updates. */
function kstep(f: Fn, t: Tile, fma: boolean): void {
  f.get(t.b).op("v128.load", 0).set(t.b0);
  f.get(t.b).op("v128.load", 16).set(t.b1);
  for (let r = 0; r < t.mr; r++) {
    f.get(t.a[r]!).op("v128.load32_splat", 0).set(t.av);
    for (let h = 0; h < 2; h++) {
      const acc = t.acc[2 * r + h]!;
      const bv = h ? t.b1 : t.b0;
      if (fma) f.get(t.av).get(bv).get(acc).op("f32x4.relaxed_madd").set(acc);
      else f.get(acc).get(t.av).get(bv).op("f32x4.mul").op("f32x4.add").set(acc);
    }
  }
}

/**
 * do { kstep; a[r] += aInc; b += bInc } while (b < bEnd). The caller guarantees at least one
 * iteration (checks bEnd > b before).
 */
function kloop(f: Fn, t: Tile, fma: boolean, aInc: Operand, bInc: Operand, bEnd: number): void {
  f.code.push(0x03, 0x40); // loop
  kstep(f, t, fma);
  for (let r = 0; r < t.mr; r++) f.inc(t.a[r]!, aInc);
  f.inc(t.b, bInc);
  f.get(t.b).get(bEnd).op("i32.lt_u").op("br_if", 0);
  f.code.push(0x0b);
}

interface Epilogue {
  /** Local holding the byte address of C(row 0, col 0) of the tile. */
  c: number;
  /** Byte stride between C rows (local or constant). */
  crs: Operand;
  /** Number of valid columns (local), 1..8. */
  nr: number;
  mode: number;
  alpha: number;
  /** Local: byte address of bias[col 0] of the tile (modes 3, 4). */
  bias: number;
  /** Locals for the scalar tail path. */
  tmp: number;
  j: number;
  vtmp: number;
  salpha: number;
  sbias: [number, number];
}

/** Stores the tile's accumulators into C according to mode (full 8-column panels). */
function epilogueFull(f: Fn, t: Tile, e: Epilogue): void {
  const row = (r: number) => {
    // address of row r -> e.tmp
    f.get(e.c);
    if (r > 0) {
      f.val(e.crs).i32(r).op("i32.mul").op("i32.add");
    }
    f.set(e.tmp);
  };
  const perMode = (m: number) => {
    for (let r = 0; r < t.mr; r++) {
      row(r);
      for (let h = 0; h < 2; h++) {
        const acc = t.acc[2 * r + h]!;
        const off = 16 * h;
        f.get(e.tmp);
        switch (m) {
          case MODE.store:
            f.get(acc);
            break;
          case MODE.add:
            f.get(e.tmp).op("v128.load", off).get(acc).op("f32x4.add");
            break;
          case MODE.axpy:
            f.get(e.tmp).op("v128.load", off).get(acc).get(e.salpha).op("f32x4.mul");
            f.op("f32x4.add");
            break;
          case MODE.bias:
            f.get(acc).get(e.sbias[h]!).op("f32x4.add");
            break;
          case MODE.biasRelu:
            f.get(acc).get(e.sbias[h]!).op("f32x4.add");
            f.op("v128.const", ...ZERO16).op("f32x4.max");
            break;
        }
        f.op("v128.store", off);
      }
    }
  };
  // Mode dispatch: mode 3 and 4 first load the bias vectors.
  f.get(e.mode)
    .i32(MODE.bias)
    .op("i32.ge_u")
    .if(() => {
      f.get(e.bias).op("v128.load", 0).set(e.sbias[0]);
      f.get(e.bias).op("v128.load", 16).set(e.sbias[1]);
    });
  f.get(e.mode)
    .i32(MODE.axpy)
    .op("i32.eq")
    .if(() => {
      f.get(e.alpha).op("f32x4.splat").set(e.salpha);
    });
  const chain = (modes: number[]) => {
    const [m, ...rest] = modes;
    if (rest.length === 0) {
      perMode(m!);
      return;
    }
    f.get(e.mode)
      .i32(m!)
      .op("i32.eq")
      .if(
        () => perMode(m!),
        () => chain(rest),
      );
  };
  chain([MODE.store, MODE.add, MODE.axpy, MODE.bias, MODE.biasRelu]);
}

/** Column tail: accumulators to the scratch tile, then a scalar loop over nr columns. */
function epilogueTail(f: Fn, t: Tile, e: Epilogue): void {
  for (let r = 0; r < t.mr; r++) {
    f.i32(0)
      .get(t.acc[2 * r]!)
      .op("v128.store", r * 32);
    f.i32(0)
      .get(t.acc[2 * r + 1]!)
      .op("v128.store", r * 32 + 16);
  }
  const v = e.vtmp; // f32 local
  for (let r = 0; r < t.mr; r++) {
    f.for(e.j, { i32: 0 }, { local: e.nr }, 1, () => {
      // tmp = c + r*crs + 4j
      f.get(e.c);
      if (r > 0) {
        f.val(e.crs).i32(r).op("i32.mul").op("i32.add");
      }
      f.get(e.j).i32(2).op("i32.shl").op("i32.add").set(e.tmp);
      // v = scratch[r][j]
      f.get(e.j)
        .i32(2)
        .op("i32.shl")
        .op("f32.load", r * 32)
        .set(v);
      const store = (compute: () => void) => {
        f.get(e.tmp);
        compute();
        f.op("f32.store", 0);
      };
      const biasJ = () =>
        f.get(e.bias).get(e.j).i32(2).op("i32.shl").op("i32.add").op("f32.load", 0);
      f.get(e.mode)
        .i32(MODE.store)
        .op("i32.eq")
        .if(
          () => store(() => f.get(v)),
          () =>
            f
              .get(e.mode)
              .i32(MODE.add)
              .op("i32.eq")
              .if(
                () => store(() => f.get(e.tmp).op("f32.load", 0).get(v).op("f32.add")),
                () =>
                  f
                    .get(e.mode)
                    .i32(MODE.axpy)
                    .op("i32.eq")
                    .if(
                      () =>
                        store(() =>
                          f
                            .get(e.tmp)
                            .op("f32.load", 0)
                            .get(v)
                            .get(e.alpha)
                            .op("f32.mul")
                            .op("f32.add"),
                        ),
                      () =>
                        f
                          .get(e.mode)
                          .i32(MODE.bias)
                          .op("i32.eq")
                          .if(
                            () => store(() => f.get(v).with(biasJ).op("f32.add")),
                            () =>
                              store(() => f.get(v).with(biasJ).op("f32.add").f32(0).op("f32.max")),
                          ),
                    ),
              ),
        );
    });
  }
}

/** Allocates the epilogue locals of a function. */
function epilogueLocals(
  f: Fn,
  c: number,
  crs: Operand,
  nr: number,
  mode: number,
  alpha: number,
  bias: number,
): Epilogue {
  return {
    c,
    crs,
    nr,
    mode,
    alpha,
    bias,
    tmp: f.local(I32),
    j: f.local(I32),
    vtmp: f.local(F32),
    salpha: f.local(V128),
    sbias: [f.local(V128), f.local(V128)],
  };
}

function epilogue(f: Fn, t: Tile, e: Epilogue): void {
  f.get(e.nr)
    .i32(8)
    .op("i32.eq")
    .if(
      () => epilogueFull(f, t, e),
      () => epilogueTail(f, t, e),
    );
}

/**
 * Emits `if (mr == 4) body(4) else if (mr == 3) ... body(1)`: the micro-kernel specialised for
 * each row count (its registers are fixed at compile time).
 */
function byRows(f: Fn, mr: number, body: (mr: number) => void): void {
  const go = (n: number) => {
    if (n === 1) {
      body(1);
      return;
    }
    f.get(mr)
      .i32(n)
      .op("i32.eq")
      .if(
        () => body(n),
        () => go(n - 1),
      );
  };
  go(4);
}

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
function buildGemm(m: ModuleBuilder, fma: boolean): void {
  const f = m.fn("gemm", [
    I32,
    I32,
    I32,
    I32,
    I32,
    I32,
    I32,
    I32,
    I32,
    I32,
    I32,
    I32,
    I32,
    I32,
    I32,
    F32,
    I32,
  ]);
  const [M, N, K, a, ars, aks, akb, akj, b, bks, bps, c, crs, cps, mode, alpha, bias] = Array.from(
    { length: 17 },
    (_, i) => f.param(i),
  ) as number[];
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
function buildConv(m: ModuleBuilder, fma: boolean): void {
  const f = m.fn("conv", [
    I32,
    I32,
    I32,
    I32,
    I32,
    I32,
    I32,
    I32,
    I32,
    I32,
    I32,
    I32,
    I32,
    F32,
    I32,
  ]);
  const [n, h, w, cin, kh, kw, xp, xpRow, xpImg, wt, cout, out, mode, alpha, bias] = Array.from(
    { length: 15 },
    (_, i) => f.param(i),
  ) as number[];
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
function buildConvDw(m: ModuleBuilder, fma: boolean): void {
  const f = m.fn("convdw", [
    I32,
    I32,
    I32,
    I32,
    I32,
    I32,
    I32,
    I32,
    I32,
    I32,
    I32,
    I32,
    I32,
    I32,
    I32,
    I32,
  ]);
  const [n, h, w, cin, kh, kw, xp, xpRow, xpImg, dy, dyRow, dyImg, cout, dw, accumulate, yb] =
    Array.from({ length: 16 }, (_, i) => f.param(i)) as number[];
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

/**
 * pool2(n, h, w, c, y, out, outRow, outImg): 2x2 stride-2 max pooling of dense NHWC y
 * ([n][h][w][c], h and w even, c % 4 == 0) into out (strided: out + b*outImg + oy*outRow +
 * ox*c*4).
 */
function buildPool(m: ModuleBuilder): void {
  const f = m.fn("pool2", [I32, I32, I32, I32, I32, I32, I32, I32]);
  const [n, h, w, c, y, out, outRow, outImg] = Array.from({ length: 8 }, (_, i) =>
    f.param(i),
  ) as number[];
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

/**
 * pool2bwd(n, h, w, c, y, pooled, pRow, pImg, dp, dpRow, dpImg, dy, dyRow, dyImg): the gradient
 * of relu-then-2x2-maxpool: each pooled output's gradient goes to the FIRST position (row-major
 * in its window) holding the maximum, and nowhere when the maximum is <= 0 (ReLU's gradient at
 * 0 is 0). y is the dense pre-pool activation [n][h][w][c]; dy (strided like pooled/dp, at the
 * full resolution) receives every position of every window (zeros included).
 */
function buildPoolBwd(m: ModuleBuilder): void {
  const f = m.fn("pool2bwd", [
    I32,
    I32,
    I32,
    I32,
    I32,
    I32,
    I32,
    I32,
    I32,
    I32,
    I32,
    I32,
    I32,
    I32,
  ]);
  const [n, h, w, c, y, pooled, pRow, pImg, dp, dpRow, dpImg, dy, dyRow, dyImg] = Array.from(
    { length: 14 },
    (_, i) => f.param(i),
  ) as number[];
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
        const strided = (
          base: number,
          row: number,
          img: number,
          target: number,
          yy: number,
          xx: number,
        ) => {
          f.get(base).get(bi).get(img).op("i32.mul").op("i32.add");
          f.get(oy);
          if (yy > 1) f.i32(yy).op("i32.mul");
          f.get(row).op("i32.mul").op("i32.add");
          f.get(ox);
          if (xx > 1) f.i32(xx).op("i32.mul");
          f.get(cB).op("i32.mul").op("i32.add").set(target);
        };
        strided(pooled!, pRow!, pImg!, pp, 1, 1);
        strided(dp!, dpRow!, dpImg!, gp, 1, 1);
        strided(dy!, dyRow!, dyImg!, dst, 2, 2);
        f.for(cc, { i32: 0 }, { local: cB }, 16, () => {
          f.get(pp).op("v128.load", 0).set(mx);
          f.get(gp).op("v128.load", 0).set(g);
          // taken = !(mx > 0): lanes whose gradient is already routed (or dropped by ReLU)
          f.get(mx)
            .op("v128.const", ...ZERO16)
            .op("f32x4.gt")
            .op("v128.not")
            .set(taken);
          const pos = (addr: () => void, dstAddr: () => void) => {
            // e = (v == mx) & !taken; dst = g & e; taken |= e
            addr();
            f.op("v128.load", 0).get(mx).op("f32x4.eq").get(taken).op("v128.andnot").set(e);
            dstAddr();
            f.get(g).get(e).op("v128.and").op("v128.store", 0);
            f.get(taken).get(e).op("v128.or").set(taken);
          };
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
function buildReluBwd(m: ModuleBuilder): void {
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
 * (bias gradients). Columns in groups of 4, then scalar.
 */
function buildColSum(m: ModuleBuilder): void {
  const f = m.fn("colsum", [I32, I32, I32, I32, I32, I32]);
  const [rows, cols, src, srcRow, dst, accumulate] = [0, 1, 2, 3, 4, 5];
  const j = f.local(I32);
  const r = f.local(I32);
  const p = f.local(I32);
  const s = f.local(V128);
  const sf = f.local(F32);
  const c4 = f.local(I32);
  f.get(cols).i32(-4).op("i32.and").set(c4);
  f.for(j, { i32: 0 }, { local: c4 }, 4, () => {
    f.op("v128.const", ...ZERO16).set(s);
    f.get(src).get(j).i32(2).op("i32.shl").op("i32.add").set(p);
    f.for(r, { i32: 0 }, { local: rows }, 1, () => {
      f.get(s).get(p).op("v128.load", 0).op("f32x4.add").set(s);
      f.inc(p, { local: srcRow });
    });
    f.get(accumulate).if(() => {
      f.get(s).get(dst).get(j).i32(2).op("i32.shl").op("i32.add").op("v128.load", 0);
      f.op("f32x4.add").set(s);
    });
    f.get(dst).get(j).i32(2).op("i32.shl").op("i32.add").get(s).op("v128.store", 0);
  });
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
function buildSgd(m: ModuleBuilder): void {
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

/** transpose(rows, cols, src, srcRow, dst, dstRow): dst[c*dstRow + 4r] = src[r*srcRow + 4c]. */
function buildTranspose(m: ModuleBuilder): void {
  const f = m.fn("transpose", [I32, I32, I32, I32, I32, I32]);
  const [rows, cols, src, srcRow, dst, dstRow] = [0, 1, 2, 3, 4, 5];
  const r = f.local(I32);
  const c = f.local(I32);
  const s = f.local(I32);
  const d = f.local(I32);
  f.for(r, { i32: 0 }, { local: rows }, 1, () => {
    f.get(src).get(r).get(srcRow).op("i32.mul").op("i32.add").set(s);
    f.get(dst).get(r).i32(2).op("i32.shl").op("i32.add").set(d);
    f.for(c, { i32: 0 }, { local: cols }, 1, () => {
      f.get(d).get(s).op("f32.load", 0).op("f32.store", 0);
      f.inc(s, 4);
      f.inc(d, { local: dstRow });
    });
  });
}

/**
 * rotflip(kh, kw, cin, cout, w, wt): wt[i][j][co][ci] = w[kh-1-i][kw-1-j][ci][co] (the filter
 * of the input gradient as a forward convolution).
 */
function buildRotFlip(m: ModuleBuilder): void {
  const f = m.fn("rotflip", [I32, I32, I32, I32, I32, I32]);
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

export interface KernelExports {
  gemm(
    M: number,
    N: number,
    K: number,
    a: number,
    ars: number,
    aks: number,
    akb: number,
    akj: number,
    b: number,
    bks: number,
    bps: number,
    c: number,
    crs: number,
    cps: number,
    mode: number,
    alpha: number,
    bias: number,
  ): void;
  conv(
    n: number,
    h: number,
    w: number,
    cin: number,
    kh: number,
    kw: number,
    xp: number,
    xpRow: number,
    xpImg: number,
    wt: number,
    cout: number,
    out: number,
    mode: number,
    alpha: number,
    bias: number,
  ): void;
  convdw(
    n: number,
    h: number,
    w: number,
    cin: number,
    kh: number,
    kw: number,
    xp: number,
    xpRow: number,
    xpImg: number,
    dy: number,
    dyRow: number,
    dyImg: number,
    cout: number,
    dw: number,
    accumulate: number,
    yb: number,
  ): void;
  pool2(
    n: number,
    h: number,
    w: number,
    c: number,
    y: number,
    out: number,
    outRow: number,
    outImg: number,
  ): void;
  pool2bwd(
    n: number,
    h: number,
    w: number,
    c: number,
    y: number,
    pooled: number,
    pRow: number,
    pImg: number,
    dp: number,
    dpRow: number,
    dpImg: number,
    dy: number,
    dyRow: number,
    dyImg: number,
  ): void;
  relubwd(count: number, g: number, act: number): void;
  colsum(
    rows: number,
    cols: number,
    src: number,
    srcRow: number,
    dst: number,
    accumulate: number,
  ): void;
  sgd(count: number, w: number, g: number, lr: number, mu: number, w0: number): void;
  transpose(
    rows: number,
    cols: number,
    src: number,
    srcRow: number,
    dst: number,
    dstRow: number,
  ): void;
  rotflip(kh: number, kw: number, cin: number, cout: number, w: number, wt: number): void;
  wino_wt(cin: number, cout: number, w: number, u: number): void;
  wino_dy(
    n: number,
    h: number,
    w: number,
    c: number,
    dy: number,
    dyRow: number,
    dyImg: number,
    z: number,
    pS: number,
    tS: number,
  ): void;
  wino_dwout(cin: number, cout: number, mw: number, dw: number): void;
  wino_in(
    n: number,
    h: number,
    w: number,
    c: number,
    xp: number,
    xpRow: number,
    xpImg: number,
    v: number,
    pS: number,
    tS: number,
  ): void;
  wino_out(
    n: number,
    h: number,
    w: number,
    c: number,
    mm: number,
    pS: number,
    tS: number,
    y: number,
    mode: number,
    bias: number,
  ): void;
}

/** The module's binary (fma: use relaxed-SIMD multiply-add). */
export function buildKernelModule(fma: boolean): Uint8Array {
  const m = new ModuleBuilder();
  buildGemm(m, fma);
  buildConv(m, fma);
  buildConvDw(m, fma);
  buildPool(m);
  buildPoolBwd(m);
  buildReluBwd(m);
  buildColSum(m);
  buildSgd(m);
  buildTranspose(m);
  buildRotFlip(m);
  buildWinoWeights(m, fma);
  buildWinoInput(m, fma);
  buildWinoOutput(m, fma);
  buildWinoDy(m, fma);
  buildWinoDwOut(m, fma);
  return m.encode();
}

let compiled: { module: WasmModule; fma: boolean } | null = null;

/** Compiles the kernel module once per thread (FMA when the runtime has relaxed SIMD). */
export function kernelModule(): { module: WasmModule; fma: boolean } {
  if (!compiled) {
    const fma = hasRelaxedSimd();
    compiled = { module: new wasm.Module(buildKernelModule(fma)), fma };
  }
  return compiled;
}
