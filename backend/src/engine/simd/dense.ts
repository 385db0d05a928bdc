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
}

/**
 * The backward pass of dense layer d after its ReLU mask and bias gradient: the weight gradient
 * (applied straight to the weights as an SGD step when fusedLr > 0, else stored in d.gw) and,
 * when dxT is not 0, the input gradient's transpose [inF, capPad] at dxT (d.dyT must hold dy's
 * transpose).
 */
export function denseBackward(
  k: KernelExports,
  d: Dense,
  o: { m: number; capPad: number; fusedLr: number; dxT: number },
): void {
  const { m, capPad: cp, fusedLr, dxT } = o;
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
    // dW[:, group] = x^T dy[:, group] (A read transposed), in W's panel layout
    k.gemm(
      d.inF,
      Math.min(8 * np, d.outF - 8 * p0),
      m,
      d.x,
      F,
      d.inF * F,
      m,
      0,
      d.dy + 8 * p0 * F,
      d.outF * F,
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
