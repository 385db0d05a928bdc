/**
 * A dense layer's buffers in the engine's working memory, and its backward pass over weight
 * panels (see nets.ts).
 */
import { MODE, type KernelExports } from "./kernels.js";
import { round8 } from "./layout.js";

const F = 4; // bytes per float
/** Weight panels per call of the dense input-gradient GEMM. */
const DX_PANELS = 8;

export interface Dense {
  inF: number;
  outF: number;
  relu: boolean;
  /** Byte offsets of kernel (panels) / bias in the working weights and in the gradients. */
  w: number;
  b: number;
  gw: number;
  gb: number;
  /** Input activations [cap, inF] and output [cap, outF] (bytes). */
  x: number;
  y: number;
  /** Gradient w.r.t. the output [cap, outF]; its transpose [outF rounded up to 8, capPad]. */
  dy: number;
  dyT: number;
  /** The input's transpose [inF, capPad] and one group's columns of dy packed [cap, 64]. */
  xT: number;
  dyP: number;
}

/** Floats of Dense.dyP for a batch capacity. */
export function densePackFloats(cap: number): number {
  return cap * 8 * DX_PANELS;
}

/**
 * The backward pass of dense layer d after its ReLU mask and bias gradient: the weight gradient
 * (applied straight to the weights as an SGD step when fusedLr > 0, else stored in d.gw) and,
 * when dxT is not 0, the input gradient's transpose [inF, capPad] at dxT (d.dyT must hold dy's
 * transpose). f32 is the kernel memory's view.
 *
 * The weight gradient's k-loop runs over the batch (short), so how its operands are laid out
 * decides its speed: x is read from its transpose (a tile's 4 rows are 4 features, whose k-steps
 * are contiguous: 2 cache lines per row at B=32; read from x itself, the k-steps of fc1 are
 * 12.5 KB apart, 32 pages per tile) and each group's columns of dy are packed into [m, 64] first
 * (fc1's dy rows are 2 KB apart: a tile's 32 rows fell into two L1 sets and evicted each other).
 * Together: fc1's weight gradient 6.2 -> 3.8 ms per step at B=32 (mean over a task).
 */
export function denseBackward(
  k: KernelExports,
  f32: Float32Array,
  d: Dense,
  o: { m: number; capPad: number; fusedLr: number; dxT: number },
): void {
  const { m, capPad: cp, fusedLr, dxT } = o;
  k.transpose(m, d.inF, d.x, d.inF * F, d.xT, cp * F);
  const needDx = dxT !== 0;
  const mPad = round8(m);
  const [target, mode, alpha] = fusedLr > 0 ? [d.w, MODE.axpy, -fusedLr] : [d.gw, MODE.store, 0];
  // Per group of W's panels: first this group's share of the input gradient (it reads the
  // old weights), then the group's weight gradient, applied to W as the SGD step or kept,
  // while the panels are still in cache (one pass over W instead of two). A group is
  // DX_PANELS panels: reading all 64 of fc1's panels per tile touched 64 pages per tile
  // and ran 3-6x slower; 8 measured best.
  const panels = Math.ceil(d.outF / 8);
  const panelBytes = d.inF * 8 * F;
  for (let p0 = 0; p0 < panels; p0 += DX_PANELS) {
    const np = Math.min(DX_PANELS, panels - p0);
    if (needDx) {
      // dx^T [inF, m] += W[:, group] dy^T[group, m] (A read out of the panels)
      k.gemm(
        d.inF,
        mPad,
        8 * np,
        d.w + p0 * panelBytes,
        8 * F,
        F,
        8,
        panelBytes,
        d.dyT + p0 * 8 * cp * F,
        cp * F,
        8 * F,
        dxT,
        cp * F,
        8 * F,
        p0 === 0 ? MODE.store : MODE.add,
        0,
        0,
      );
    }
    // dW[:, group] = x^T dy[:, group], in W's panel layout
    const cols = Math.min(8 * np, d.outF - 8 * p0);
    const packRow = 8 * np;
    for (let r = 0; r < m; r++) {
      const from = d.dy / F + r * d.outF + 8 * p0;
      f32.copyWithin(d.dyP / F + r * packRow, from, from + cols);
    }
    k.gemm(
      d.inF,
      cols,
      m,
      d.xT,
      cp * F,
      F,
      m,
      0,
      d.dyP,
      packRow * F,
      8 * F,
      target + p0 * panelBytes,
      8 * F,
      panelBytes,
      mode,
      alpha,
      0,
    );
  }
}
