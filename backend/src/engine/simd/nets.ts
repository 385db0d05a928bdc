/**
 * The engine's models as hand-composed forward and backward passes over the SIMD kernels: no
 * autograd tape, no tensor objects, every buffer allocated once per (model, batch capacity) and
 * reused by every step.
 *
 * Working weights: conv kernels (HWIO) and biases as in the flat `paramSpecs` vector; dense
 * kernels [in, out] re-laid as 8-column panels ([ceil(out/8)][in][8], zero-padded), the layout
 * the micro-kernel streams (a row-major [3136, 512] fc1 kernel read 8 columns at a time costs a
 * new cache line per k-step: 10-13 GFLOP/s against 40+ packed). load() / save() convert.
 *
 * Per step (CNN): conv1 (implicit GEMM, bias+ReLU fused) -> 2x2 max pool into conv2's padded
 * input -> conv2 (Winograd F(4x4,5x5), bias+ReLU fused into the output transform; in training,
 * relu(bias) written exactly where a 5x5 window is all zero, see conv.ts) -> pool into
 * fc1's input -> fc1 (+bias+ReLU) -> fc2 (+bias) -> softmax cross-entropy (in JS, 10 classes)
 * -> backward: per dense layer and group of its weight panels, the input gradient (A read out
 * of the panels, before the weights change) and then the weight gradient, applied straight to
 * the weights as an SGD step by the GEMM's epilogue (no gradient buffer; with FedProx the
 * gradient is kept and one SGD pass adds the proximal term) -> pool/ReLU backward in one pass
 * -> conv2's filter gradient (Winograd F(5x5,2x2)) -> conv2's input gradient (Winograd
 * F(4x4,5x5), with the rotated filter) -> pool/ReLU backward -> conv1's filter gradient
 * (implicit GEMM, k-blocked) -> bias gradients as column sums -> one SGD pass over the conv
 * kernels and biases.
 */
import type { ModelKind } from "../models/spec.js";
import { parameterCount } from "../models/spec.js";
import {
  winogradConv,
  winogradFilterFloats,
  winogradFilterGradient,
  winogradPadded,
  winogradScratchFloats,
  type WinogradScratch,
} from "./conv.js";
import { MODE } from "./kernels.js";
import { denseBackward, densePackFloats, type Dense } from "./dense.js";
import { softmaxCrossEntropy, type BatchStats } from "./loss.js";
import { packFlat, round8, unpackFlat, weightLayout, type Slot } from "./layout.js";
import type { KernelRuntime } from "./runtime.js";

const F = 4; // bytes per float
/** Rows (= columns) of conv2's zero-padded input and output-gradient buffers (20: see conv.ts). */
const P = winogradPadded(14, 14).ph;
/** Output rows per k-block of the filter-gradient kernel (its block's data stay in L1). */
const DW_ROWS = 2;

export class NativeNet {
  /** Parameters in the flat vector. */
  readonly params: number;
  /** Floats in the working buffer (>= params: panel padding). */
  private readonly working: number;
  private readonly slots: Slot[] = [];
  /** Floats at the start of the working buffer that are not dense kernels. */
  private readonly unpackedPrefix: number;
  /** Byte offsets of the weights, gradients and (FedProx) start weights. */
  readonly weights: number;
  private grads = 0;
  private w0 = 0;
  private readonly dense: Dense[] = [];
  /** Input images: padded [cap][32][32] for the CNN, [cap][784] otherwise. */
  private readonly input: number;
  private readonly logits: number;
  private readonly dlog: number;
  private readonly capPad: number;
  // CNN buffers (bytes; 0 when unused)
  private y1 = 0;
  private x2p = 0;
  private y2 = 0;
  private dy2p = 0;
  private w2r = 0;
  private dx2 = 0;
  private dy1 = 0;
  private dHT = 0;
  private dH = 0;
  /** conv2 as Winograd F(4x4): transformed filters (forward, input gradient) and tiles. */
  private readonly wino: WinogradScratch & { u4: number; ur: number } = {
    u4: 0,
    ur: 0,
    big: 0,
    small: 0,
    mw: 0,
  };
  private trainReady = false;
  /** conv2's Winograd-transformed filter for evaluation (F(4x4)) is up to date with the weights. */
  private filterReady = false;

  constructor(
    private readonly rt: KernelRuntime,
    readonly kind: ModelKind,
    /** Largest batch this instance runs. */
    readonly cap: number,
  ) {
    this.params = parameterCount(kind);
    this.capPad = round8(cap);
    const layout = weightLayout(kind);
    this.slots = layout.slots;
    this.unpackedPrefix = layout.unpackedPrefix;
    this.working = layout.working;
    this.weights = rt.alloc(this.working);

    const denseSpec: [number, number, boolean][] =
      kind === "cnn"
        ? [
            [3136, 512, true],
            [512, 10, false],
          ]
        : kind === "2nn"
          ? [
              [784, 200, true],
              [200, 200, true],
              [200, 10, false],
            ]
          : [[784, 10, false]];
    if (kind === "cnn") {
      this.input = rt.alloc(cap * 32 * 32);
      this.y1 = rt.alloc(cap * 28 * 28 * 32);
      this.x2p = rt.alloc(cap * P * P * 32);
      this.y2 = rt.alloc(cap * 14 * 14 * 64);
      const sizes = winogradScratchFloats(cap, 14, 14, 32, 64);
      this.wino.u4 = rt.alloc(winogradFilterFloats(32, 64));
      this.wino.big = rt.alloc(sizes.big);
      this.wino.small = rt.alloc(sizes.small);
    } else {
      this.input = 0;
    }
    // Dense stack: layer l reads layer l-1's output (the CNN's first reads the pooled conv2).
    const firstDense = kind === "cnn" ? 4 : 0;
    let x = kind === "cnn" ? rt.alloc(cap * 3136) : rt.alloc(cap * 784);
    if (kind !== "cnn") this.input = x;
    denseSpec.forEach(([inF, outF, relu], l) => {
      const y = rt.alloc(cap * outF);
      this.dense.push({
        inF,
        outF,
        relu,
        w: this.weights + this.slots[firstDense + 2 * l]!.at * F,
        b: this.weights + this.slots[firstDense + 2 * l + 1]!.at * F,
        gw: 0,
        gb: 0,
        x,
        y,
        dy: 0,
        dyT: 0,
        xT: 0,
        dyP: 0,
      });
      x = y;
    });
    this.logits = this.dense[this.dense.length - 1]!.y;
    this.dlog = rt.alloc(cap * 10);
  }

  /** Byte offset of parameter tensor i in the working weights. */
  private w(i: number): number {
    return this.weights + this.slots[i]!.at * F;
  }

  /** Byte offset of parameter tensor i in the gradients. */
  private g(i: number): number {
    return this.grads + this.slots[i]!.at * F;
  }

  /** Allocates the backward buffers (first training step only). */
  private prepareTraining(): void {
    if (this.trainReady) return;
    const rt = this.rt;
    this.grads = rt.alloc(this.working);
    const firstDense = this.kind === "cnn" ? 4 : 0;
    this.dense.forEach((d, l) => {
      d.gw = this.g(firstDense + 2 * l);
      d.gb = this.g(firstDense + 2 * l + 1);
      d.dy = l === this.dense.length - 1 ? this.dlog : rt.alloc(this.cap * d.outF);
      // Rows beyond outF stay zero: the input-gradient GEMM runs k over whole panels.
      d.dyT = rt.alloc(round8(d.outF) * this.capPad);
      d.xT = rt.alloc(d.inF * this.capPad);
      d.dyP = rt.alloc(densePackFloats(this.cap));
    });
    if (this.kind === "cnn") {
      this.dHT = rt.alloc(3136 * this.capPad);
      this.dH = rt.alloc(this.cap * 3136);
      this.dy2p = rt.alloc(this.cap * P * P * 64);
      this.w2r = rt.alloc(5 * 5 * 64 * 32);
      this.wino.ur = rt.alloc(winogradFilterFloats(64, 32));
      this.wino.mw = rt.alloc(winogradScratchFloats(this.cap, 14, 14, 32, 64).mw);
      this.dx2 = rt.alloc(this.cap * 14 * 14 * 32);
      this.dy1 = rt.alloc(this.cap * 28 * 28 * 32);
    }
    this.trainReady = true;
  }

  /** Flat vector -> working layout at byte offset `base`. */
  private fromFlat(flat: Float32Array, base: number): void {
    packFlat(this.rt.f32, this.slots, flat, base / F);
  }

  /** Working layout at byte offset `base` -> a new flat vector. */
  private toFlat(base: number): Float32Array {
    return unpackFlat(this.rt.f32, this.slots, this.params, base / F);
  }

  /** Copies a flat weight vector in. */
  load(flat: Float32Array): void {
    if (flat.length !== this.params)
      throw new RangeError(
        `weights for "${this.kind}" must have ${this.params} values, got ${flat.length}`,
      );
    this.fromFlat(flat, this.weights);
    this.filterReady = false;
  }

  /** A copy of the current weights (flat). */
  save(): Float32Array {
    return this.toFlat(this.weights);
  }

  /**
   * The gradients of the last training step run with `keepGradients` (flat, paramSpecs order).
   */
  gradients(): Float32Array {
    if (!this.grads) throw new Error("no training step has run");
    return this.toFlat(this.grads);
  }

  /** Keeps the current weights as FedProx's start point. */
  markStart(): void {
    if (!this.w0) this.w0 = this.rt.alloc(this.working);
    const h = this.rt.f32;
    h.copyWithin(this.w0 / F, this.weights / F, this.weights / F + this.working);
  }

  /** Copies images x[idx[start..start+m)] (n x 784 floats) into the input buffer. */
  setInput(x: Float32Array, idx: ArrayLike<number>, start: number, m: number, n: number): void {
    if (m > this.cap) throw new RangeError(`batch of ${m} exceeds capacity ${this.cap}`);
    const h = this.rt.f32;
    for (let r = 0; r < m; r++) {
      const k = idx[start + r]!;
      if (!(k >= 0 && k < n)) throw new RangeError(`sample index ${k} out of range 0..${n - 1}`);
      const src = x.subarray(k * 784, (k + 1) * 784);
      if (this.kind === "cnn") {
        // interior of the zero-padded 32x32 image (pad 2)
        const base = this.input / F + r * 1024 + 2 * 32 + 2;
        for (let row = 0; row < 28; row++)
          h.set(src.subarray(row * 28, row * 28 + 28), base + row * 32);
      } else {
        h.set(src, this.input / F + r * 784);
      }
    }
  }

  /**
   * Forward pass of m inputs (from the input buffer, or from `input`: m images in the same
   * layout elsewhere in memory); logits land in this.logits. `training`: conv2's ReLU mask gets
   * the exact zeros of all-zero windows (see conv.ts); otherwise the transformed filter is kept
   * until the weights change.
   */
  forward(m: number, input = this.input, training = false): void {
    if (m > this.cap) throw new RangeError(`batch of ${m} exceeds capacity ${this.cap}`);
    const k = this.rt.k;
    if (this.kind === "cnn") {
      const x2i = this.x2p + (2 * P + 2) * 32 * F;
      k.conv(
        m,
        28,
        28,
        1,
        5,
        5,
        input,
        32 * F,
        1024 * F,
        this.w(0),
        32,
        this.y1,
        MODE.biasRelu,
        0,
        this.w(1),
      );
      k.pool2(m, 28, 28, 32, this.y1, x2i, P * 32 * F, P * P * 32 * F);
      winogradConv(
        k,
        this.wino,
        m,
        14,
        14,
        32,
        64,
        this.x2p,
        this.w(2),
        this.wino.u4,
        this.y2,
        MODE.biasRelu,
        this.w(3),
        !training && this.filterReady,
        4,
        training,
      );
      // Evaluation reuses the transformed filter until the weights change (load, SGD step).
      if (!training) this.filterReady = true;
      k.pool2(m, 14, 14, 64, this.y2, this.dense[0]!.x, 7 * 64 * F, 3136 * F);
    }
    for (const [l, d] of this.dense.entries()) {
      k.gemm(
        m,
        d.outF,
        d.inF,
        l === 0 && this.kind !== "cnn" ? input : d.x,
        d.inF * F,
        F,
        d.inF,
        0,
        d.w,
        8 * F,
        d.inF * 8 * F,
        d.y,
        d.outF * F,
        8 * F,
        d.relu ? MODE.biasRelu : MODE.bias,
        0,
        d.b,
      );
    }
  }

  /** Softmax cross-entropy of the logits (see softmaxCrossEntropy; gradient into dlog). */
  private crossEntropy(m: number, labels: ArrayLike<number>, grad: boolean): BatchStats {
    return softmaxCrossEntropy(this.rt.f32, this.logits / F, grad ? this.dlog / F : -1, m, labels);
  }

  /** Loss and hits of m inputs (see forward) against labels (no gradients). */
  evaluate(m: number, labels: ArrayLike<number>, input = this.input): BatchStats {
    this.forward(m, input);
    return this.crossEntropy(m, labels, false);
  }

  /** Floats per image in this model's input layout (CNN: zero-padded 32x32). */
  get imageFloats(): number {
    return this.kind === "cnn" ? 1024 : 784;
  }

  /**
   * Writes n images (n x 784, 0..1) into `dst` (byte offset) in this model's input layout;
   * the destination must be zeroed (padding is not written).
   */
  writeImages(x: Float32Array, n: number, dst: number): void {
    const h = this.rt.f32;
    if (this.kind !== "cnn") {
      h.set(x.subarray(0, n * 784), dst / F);
      return;
    }
    for (let r = 0; r < n; r++) {
      const base = dst / F + r * 1024 + 2 * 32 + 2;
      for (let row = 0; row < 28; row++) {
        const s = (r * 28 + row) * 28;
        h.set(x.subarray(s, s + 28), base + row * 32);
      }
    }
  }

  /**
   * One SGD step on the first m inputs: w -= lr * (grad + mu (w - w_start)). Returns the batch's
   * summed loss (cross-entropy only). `keepGradients` keeps every gradient in the gradient
   * buffer (tests read it with gradients()); otherwise dense kernels are updated in place.
   */
  trainStep(
    m: number,
    labels: ArrayLike<number>,
    lr: number,
    mu: number,
    keepGradients = false,
  ): BatchStats {
    if (m > this.cap) throw new RangeError(`batch of ${m} exceeds capacity ${this.cap}`);
    if (mu > 0 && !this.w0) throw new Error("FedProx needs markStart() before training");
    this.prepareTraining();
    this.forward(m, this.input, true);
    const stats = this.crossEntropy(m, labels, true);
    this.filterReady = false;
    const fused = mu === 0 && !keepGradients;
    this.backward(m, fused ? lr : 0);
    const k = this.rt.k;
    if (fused) k.sgd(this.unpackedPrefix, this.weights, this.grads, lr, 0, this.weights);
    else k.sgd(this.working, this.weights, this.grads, lr, mu, mu > 0 ? this.w0 : this.weights);
    return stats;
  }

  /** Backward pass; with fusedLr > 0 the dense kernels get their SGD step here. */
  private backward(m: number, fusedLr: number): void {
    const k = this.rt.k;
    const cp = this.capPad;
    // Dense layers, last to first; d.dy holds dL/d(output), masked by the ReLU here.
    for (let l = this.dense.length - 1; l >= 0; l--) {
      const d = this.dense[l]!;
      if (d.relu) k.relubwd(m * d.outF, d.dy, d.y);
      k.colsum(m, d.outF, d.dy, d.outF * F, d.gb, 0);
      const toConv = l === 0 && this.kind === "cnn";
      const needDx = l > 0 || toConv;
      const dxT = toConv ? this.dHT : needDx ? this.dense[l - 1]!.dyT : 0;
      if (needDx) k.transpose(m, d.outF, d.dy, d.outF * F, d.dyT, cp * F);
      denseBackward(k, this.rt.f32, d, { m, capPad: cp, fusedLr, dxT: needDx ? dxT : 0 });
      // dx = (dx^T)^T
      if (needDx) {
        const dx = toConv ? this.dH : this.dense[l - 1]!.dy;
        k.transpose(d.inF, m, dxT, cp * F, dx, d.inF * F);
      }
    }
    if (this.kind === "cnn") this.convBackward(m);
  }

  /** The CNN's backward pass below the dense layers (dH holds dL/d(pooled conv2 output)). */
  private convBackward(m: number): void {
    const k = this.rt.k;
    const dy2i = this.dy2p + (2 * P + 2) * 64 * F;
    k.pool2bwd(
      m,
      14,
      14,
      64,
      this.y2,
      this.dense[0]!.x,
      7 * 64 * F,
      3136 * F,
      this.dH,
      7 * 64 * F,
      3136 * F,
      dy2i,
      P * 64 * F,
      P * P * 64 * F,
    );
    k.colsum(m * P * P, 64, this.dy2p, 64 * F, this.g(3), 0);
    winogradFilterGradient(
      k,
      this.wino,
      m,
      14,
      14,
      32,
      64,
      this.x2p,
      dy2i,
      P * 64 * F,
      P * P * 64 * F,
      this.g(2),
    );
    this.conv2InputGradient(m);
    this.conv1Backward(m);
  }

  /** conv2's input gradient (Winograd, with the rotated filter) into dx2. */
  private conv2InputGradient(m: number): void {
    const k = this.rt.k;
    k.rotflip(5, 5, 32, 64, this.w(2), this.w2r);
    winogradConv(
      k,
      this.wino,
      m,
      14,
      14,
      64,
      32,
      this.dy2p,
      this.w2r,
      this.wino.ur,
      this.dx2,
      MODE.store,
      0,
    );
  }

  /** pool/ReLU backward of conv1's output, conv1's bias and filter gradients. */
  private conv1Backward(m: number): void {
    const k = this.rt.k;
    const x2i = this.x2p + (2 * P + 2) * 32 * F;
    k.pool2bwd(
      m,
      28,
      28,
      32,
      this.y1,
      x2i,
      P * 32 * F,
      P * P * 32 * F,
      this.dx2,
      14 * 32 * F,
      14 * 14 * 32 * F,
      this.dy1,
      28 * 32 * F,
      28 * 28 * 32 * F,
    );
    k.colsum(m * 28 * 28, 32, this.dy1, 32 * F, this.g(1), 0);
    k.convdw(
      m,
      28,
      28,
      1,
      5,
      5,
      this.input,
      32 * F,
      1024 * F,
      this.dy1,
      28 * 32 * F,
      28 * 28 * 32 * F,
      32,
      this.g(0),
      0,
      DW_ROWS,
    );
  }
}
