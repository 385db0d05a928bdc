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
 * FedProx term, transposes and the 180-degree filter rotation of the input gradient; the
 * Winograd transforms (winograd.ts, winograd-gradient.ts) and the exact-zero rule of the F(4x4)
 * training forward pass (zerowin, zero-windows.ts).
 *
 * All pointers are byte offsets into the memory the module imports; buffers read by the
 * micro-kernel must have 32 bytes of slack after them (column tails read past the last row).
 */
import { hasRelaxedSimd, ModuleBuilder } from "./asm.js";
import { buildConv, buildConvDw, buildGemm } from "./gemm-kernels.js";
import {
  buildColSum,
  buildPool,
  buildPoolBwd,
  buildReluBwd,
  buildRotFlip,
  buildSgd,
  buildTranspose,
} from "./small-kernels.js";
import { wasm, type WasmModule } from "./wasm-api.js";
import { buildZeroWindows } from "./zero-windows.js";
import {
  buildWinoDwOut,
  buildWinoDy,
  buildWinoInput,
  buildWinoOutput,
  buildWinoWeights,
  F4,
} from "./winograd.js";

export { MODE, SCRATCH_BYTES } from "./micro.js";

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
  /** The same kernels for F(4x4, 5x5) (8x8 points; partial output tiles). */
  wino_wt4: KernelExports["wino_wt"];
  wino_in4: KernelExports["wino_in"];
  wino_out4: KernelExports["wino_out"];
  /** relu(bias) where a 5x5 window of the input is all zero (zero-windows.ts). */
  zerowin(
    n: number,
    h: number,
    w: number,
    c: number,
    xp: number,
    xpRow: number,
    xpImg: number,
    y: number,
    cout: number,
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
  buildWinoWeights(m, fma, F4);
  buildWinoInput(m, fma, F4);
  buildWinoOutput(m, fma, F4);
  buildWinoDy(m, fma);
  buildWinoDwOut(m, fma);
  buildZeroWindows(m);
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
