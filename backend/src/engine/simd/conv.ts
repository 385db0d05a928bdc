/**
 * 5x5 'same' convolutions (stride 1, pad 2, even height and width) as Winograd F(2x2, 5x5) over
 * the SIMD kernels: the transforms of winograd.ts around 36 GEMMs on the micro-kernel. Used for
 * the CNN's conv2 (forward, input gradient, filter gradient); conv1 (1 input channel) stays a
 * direct implicit GEMM.
 */
import { MODE, type KernelExports } from "./kernels.js";

const F = 4;

/**
 * Images per chunk of the Winograd pipeline. The transformed tiles of a whole batch are 36x the
 * tile count x channels (14 MB at B=32 for 64 channels) and made the transforms memory-bound;
 * in chunks of 4 images (tiles, GEMM outputs < 2 MB) the B=32 step ran 30% faster (chunks of 2
 * to 5 measured within noise of each other, 16 and whole batches clearly slower).
 */
export const WINO_CHUNK = 4;

/** Most tiles per k-block of the filter-gradient GEMMs (a block of both operands stays in L1). */
export const DW_TILES = 64;

/** Scratch buffers (byte offsets) for up to WINO_CHUNK images, sized by winogradScratchFloats. */
export interface WinogradScratch {
  /** 36 * tiles * max channels */
  big: number;
  /** 36 * tiles * min channels */
  small: number;
  /** 36 * cin * cout: the filter gradient in the transformed domain */
  mw: number;
}

/** Floats of each scratch buffer for convolutions of up to `images` images (cin, cout). */
export function winogradScratchFloats(
  images: number,
  h: number,
  w: number,
  cin: number,
  cout: number,
): { big: number; small: number; mw: number } {
  const tiles = Math.min(images, WINO_CHUNK) * (h / 2) * (w / 2);
  return {
    big: 36 * tiles * Math.max(cin, cout),
    small: 36 * tiles * Math.min(cin, cout),
    mw: 36 * cin * cout,
  };
}

/**
 * Layout of transformed tiles: value (p, t, c) at p*pS + t*tS + 4c bytes, point-major (each
 * point's [tiles, c] matrix contiguous, as the GEMMs read it). Tile-major (the transforms'
 * writes sequential) put the GEMMs' rows 4.6 KB apart and measured 10-25% slower.
 */
function tileLayout(tiles: number, c: number): { pS: number; tS: number } {
  return { pS: tiles * c * F, tS: c * F };
}

/**
 * y = conv(x, wt) (+ bias, ReLU by mode) for m images h x w: x zero-padded by 2 at xp
 * ([m][h+4][w+4][cin]), wt HWIO [5][5][cin][cout], y dense [m][h][w][cout]. The transformed
 * filter goes to u (36 * cin * cout floats), or is taken from there when `filterReady`.
 */
export function winogradConv(
  k: KernelExports,
  s: WinogradScratch,
  m: number,
  h: number,
  w: number,
  cin: number,
  cout: number,
  xp: number,
  wt: number,
  u: number,
  y: number,
  mode: number,
  bias: number,
  filterReady = false,
): void {
  // The tiles go to whichever scratch buffer fits cin, the GEMM output to the other one.
  const [v, mm] = cin <= cout ? [s.small, s.big] : [s.big, s.small];
  const xRow = (w + 4) * cin * F;
  const xImg = (h + 4) * xRow;
  if (!filterReady) k.wino_wt(cin, cout, wt, u);
  for (let b0 = 0; b0 < m; b0 += WINO_CHUNK) {
    const mc = Math.min(WINO_CHUNK, m - b0);
    const tiles = mc * (h / 2) * (w / 2);
    const vl = tileLayout(tiles, cin);
    const ml = tileLayout(tiles, cout);
    k.wino_in(mc, h, w, cin, xp + b0 * xImg, xRow, xImg, v, vl.pS, vl.tS);
    for (let p = 0; p < 36; p++) {
      k.gemm(
        tiles,
        cout,
        cin,
        v + p * vl.pS,
        vl.tS,
        F,
        cin,
        0,
        u + p * cin * cout * F,
        cout * F,
        8 * F,
        mm + p * ml.pS,
        ml.tS,
        8 * F,
        MODE.store,
        0,
        0,
      );
    }
    k.wino_out(mc, h, w, cout, mm, ml.pS, ml.tS, y + b0 * h * w * cout * F, mode, bias);
  }
}

/**
 * dw = the filter gradient of winogradConv, F(5x5, 2x2): per chunk the input tiles (again:
 * the forward pass's were overwritten chunk by chunk) and dy's 2x2 tiles transformed, 36 GEMMs
 * [cin, tiles] x [tiles, cout] accumulated over k-blocks and chunks in the transformed domain,
 * then the output transform into dw (HWIO [5][5][cin][cout]). dy is strided: dyRow / dyImg
 * bytes between rows / images.
 */
export function winogradFilterGradient(
  k: KernelExports,
  s: WinogradScratch,
  m: number,
  h: number,
  w: number,
  cin: number,
  cout: number,
  xp: number,
  dy: number,
  dyRow: number,
  dyImg: number,
  dw: number,
): void {
  const [v, z] = cin <= cout ? [s.small, s.big] : [s.big, s.small];
  const xRow = (w + 4) * cin * F;
  const xImg = (h + 4) * xRow;
  for (let b0 = 0; b0 < m; b0 += WINO_CHUNK) {
    const mc = Math.min(WINO_CHUNK, m - b0);
    const tiles = mc * (h / 2) * (w / 2);
    const vl = tileLayout(tiles, cin);
    const zl = tileLayout(tiles, cout);
    k.wino_in(mc, h, w, cin, xp + b0 * xImg, xRow, xImg, v, vl.pS, vl.tS);
    k.wino_dy(mc, h, w, cout, dy + b0 * dyImg, dyRow, dyImg, z, zl.pS, zl.tS);
    // Equal blocks of at most DW_TILES (196 tiles: 4 x 49, not 3 x 64 + 4).
    const block = Math.ceil(tiles / Math.ceil(tiles / DW_TILES));
    for (let p = 0; p < 36; p++) {
      for (let t0 = 0; t0 < tiles; t0 += block) {
        const kc = Math.min(block, tiles - t0);
        k.gemm(
          cin,
          cout,
          kc,
          v + p * vl.pS + t0 * vl.tS,
          F,
          vl.tS,
          kc,
          0,
          z + p * zl.pS + t0 * zl.tS,
          zl.tS,
          8 * F,
          s.mw + p * cin * cout * F,
          cout * F,
          8 * F,
          b0 === 0 && t0 === 0 ? MODE.store : MODE.add,
          0,
          0,
        );
      }
    }
  }
  k.wino_dwout(cin, cout, s.mw, dw);
}
