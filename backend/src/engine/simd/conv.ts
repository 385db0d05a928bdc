/**
 * 5x5 'same' convolutions (stride 1, pad 2, even height and width) as Winograd transforms
 * (winograd.ts) around GEMMs on the micro-kernel. F(4x4, 5x5) (64 GEMMs; 1,024 multiplies per
 * image and channel pair on a 14x14 map instead of F(2x2, 5x5)'s 1,764) for the forward pass and
 * the input gradient; F(5x5, 2x2) over F(2x2)'s tiles for the filter gradient (its F(4x4) dual
 * rounds ~8x worse). Used for the CNN's conv2; conv1 (1 input channel) stays a direct implicit
 * GEMM.
 *
 * Exact zeros: the training forward pass's ReLU mask must see what a direct convolution gives
 * where a 5x5 window of the input is all zero, exactly the bias (0 on a fresh model). F(2x2)'s
 * matrices give it by construction: each output pixel depends only on its own window (rows 0-4
 * of B^T are zero in the last column, A^T's first row is zero at the last point; tested).
 * F(4x4)'s do not (B^T8's first row reads the seventh column): rounding noise of either sign,
 * and positive noise let the gradient through to conv2's bias. So with `exactZeros` (bias+ReLU
 * only) the zerowin kernel (zero-windows.ts) finds those windows exactly and writes
 * relu(bias) there, chunk by chunk while the outputs are in cache.
 *
 * Inputs are zero-padded NHWC buffers of winogradPadded(h, w): the image at (2, 2), zeros around
 * it up to the last 8x8 tile's edge (F(4x4)'s tiles cover ceil(h/4)*4 rows).
 */
import { MODE, type KernelExports } from "./kernels.js";
import { ZEROWIN_MAX_SIDE } from "./zero-windows.js";

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

/** Rows and columns of a padded input (see above). */
export function winogradPadded(h: number, w: number): { ph: number; pw: number } {
  return { ph: Math.ceil(h / 4) * 4 + 4, pw: Math.ceil(w / 4) * 4 + 4 };
}

/** Floats of a transformed filter (F(4x4, 5x5)'s 64 points). */
export function winogradFilterFloats(cin: number, cout: number): number {
  return 64 * cin * cout;
}

/** Tiles of F(2x2) and F(4x4) over `images` h x w maps. */
function tileCounts(images: number, h: number, w: number): { t2: number; t4: number } {
  return {
    t2: images * (h / 2) * (w / 2),
    t4: images * Math.ceil(h / 4) * Math.ceil(w / 4),
  };
}

/** Scratch buffers (byte offsets) for up to WINO_CHUNK images, sized by winogradScratchFloats. */
export interface WinogradScratch {
  /** points * tiles * max channels (the larger of the two algorithms') */
  big: number;
  /** points * tiles * min channels */
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
  const { t2, t4 } = tileCounts(Math.min(images, WINO_CHUNK), h, w);
  const points = Math.max(36 * t2, 64 * t4);
  return {
    big: points * Math.max(cin, cout),
    small: points * Math.min(cin, cout),
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

/** Which Winograd algorithm a convolution runs (see the top of this file). */
export type WinogradTile = 2 | 4;

/**
 * y = conv(x, wt) (+ bias, ReLU by mode) for m images h x w: x zero-padded at xp
 * ([m][ph][pw][cin], winogradPadded), wt HWIO [5][5][cin][cout], y dense [m][h][w][cout], by
 * F(tile x tile, 5x5). The transformed filter goes to u (winogradFilterFloats), or is taken from
 * there when `filterReady`. `exactZeros`: see the top of this file.
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
  tile: WinogradTile = 4,
  exactZeros = false,
): void {
  if (cin % 4 !== 0 || cout % 4 !== 0) throw new RangeError("channels must be multiples of 4");
  if (
    exactZeros &&
    (mode !== MODE.biasRelu || h + 4 > ZEROWIN_MAX_SIDE || w + 4 > ZEROWIN_MAX_SIDE)
  )
    throw new RangeError("exactZeros needs bias+ReLU and a map of at most 28x28");
  // The tiles go to whichever scratch buffer fits cin, the GEMM output to the other one.
  const [v, mm] = cin <= cout ? [s.small, s.big] : [s.big, s.small];
  const { ph, pw } = winogradPadded(h, w);
  const xRow = pw * cin * F;
  const xImg = ph * xRow;
  const [wt4, points] = tile === 4 ? [true, 64] : [false, 36];
  if (!filterReady) (wt4 ? k.wino_wt4 : k.wino_wt)(cin, cout, wt, u);
  for (let b0 = 0; b0 < m; b0 += WINO_CHUNK) {
    const mc = Math.min(WINO_CHUNK, m - b0);
    const counts = tileCounts(mc, h, w);
    const tiles = wt4 ? counts.t4 : counts.t2;
    const vl = tileLayout(tiles, cin);
    const ml = tileLayout(tiles, cout);
    (wt4 ? k.wino_in4 : k.wino_in)(mc, h, w, cin, xp + b0 * xImg, xRow, xImg, v, vl.pS, vl.tS);
    for (let p = 0; p < points; p++) {
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
    const yb = y + b0 * h * w * cout * F;
    (wt4 ? k.wino_out4 : k.wino_out)(mc, h, w, cout, mm, ml.pS, ml.tS, yb, mode, bias);
    if (exactZeros) k.zerowin(mc, h, w, cin, xp + b0 * xImg, xRow, xImg, yb, cout, bias);
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
  const { ph, pw } = winogradPadded(h, w);
  const xRow = pw * cin * F;
  const xImg = ph * xRow;
  for (let b0 = 0; b0 < m; b0 += WINO_CHUNK) {
    const mc = Math.min(WINO_CHUNK, m - b0);
    const tiles = tileCounts(mc, h, w).t2;
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
