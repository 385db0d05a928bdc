/**
 * The Winograd matrices of winograd.ts: F(2x2, 5x5) with the interpolation points 0, 1, -1,
 * 1/2, -2 and infinity (chosen by float32 error, see winograd.ts), and F(5x5, 2x2) for the filter
 * gradient. Exact rationals (derived by solving the Toom-Cook system); B^T's rows are scaled to a
 * maximum of 1 with the scale moved into G.
 */
const r = (n: number, d = 1) => n / d;

/** B^T (6x6): the input transform. */
export const BT: number[][] = [
  [r(1, 2), r(-3, 4), -1, r(3, 4), r(1, 2), 0],
  [0, r(-2, 5), r(1, 5), 1, r(2, 5), 0],
  [0, r(-2, 5), 1, r(-1, 5), r(-2, 5), 0],
  [0, 1, r(1, 2), -1, r(-1, 2), 0],
  [0, r(1, 2), -1, r(-1, 2), 1, 0],
  [0, r(1, 2), r(-3, 4), -1, r(3, 4), r(1, 2)],
];

/** G (6x5): the filter transform. */
export const G: number[][] = [
  [2, 0, 0, 0, 0],
  [r(5, 6), r(5, 6), r(5, 6), r(5, 6), r(5, 6)],
  [r(5, 6), r(-5, 6), r(5, 6), r(-5, 6), r(5, 6)],
  [r(32, 15), r(16, 15), r(8, 15), r(4, 15), r(2, 15)],
  [r(1, 15), r(-2, 15), r(4, 15), r(-8, 15), r(16, 15)],
  [0, 0, 0, 0, 2],
];

/** G for the 2x2 "filter" of the filter gradient, F(5x5, 2x2) (6x2). */
export const G2: number[][] = [
  [2, 0],
  [r(5, 6), r(5, 6)],
  [r(5, 6), r(-5, 6)],
  [r(32, 15), r(16, 15)],
  [r(1, 15), r(-2, 15)],
  [0, 2],
];

/** A^T of F(5x5, 2x2) (5x6): the filter gradient's output transform. */
export const AT5: number[][] = [
  [1, 1, 1, 1, 1, 0],
  [0, 1, -1, r(1, 2), -2, 0],
  [0, 1, 1, r(1, 4), 4, 0],
  [0, 1, -1, r(1, 8), -8, 0],
  [0, 1, 1, r(1, 16), 16, 1],
];

/** A^T (2x6): the output transform. */
export const AT: number[][] = [
  [1, 1, 1, 1, 1, 0],
  [0, 1, -1, r(1, 2), -2, 1],
];

/**
 * F(4x4, 5x5) for the forward pass and the input gradient: the points 0, +-1, +-1/2, +-2 and
 * infinity (8 points; exact rationals from the Toom-Cook system, solved with sympy; B^T's rows
 * scaled to a maximum of 1, the scale moved into G). 64 multiplies per 4x4 output tile and
 * channel pair, against 36 per 2x2 tile for F(2x2, 5x5): on a 14x14 map 16 tiles x 64 = 1,024
 * instead of 49 x 36 = 1,764. Its float32 error is 2-3x F(2x2, 5x5)'s (see winograd.ts); the
 * filter gradient's dual F(5x5, 4x4) would be ~8x and is not used. Unlike F(2x2, 5x5)'s, these
 * matrices mix inputs outside an output pixel's 5x5 window into it (B^T's first row reads the
 * tile's seventh column), so an all-zero window gives rounding noise, not an exact 0.
 */
export const BT8: number[][] = [
  [r(-4, 21), 0, 1, 0, -1, 0, r(4, 21), 0],
  [0, r(4, 17), r(4, 17), -1, -1, r(4, 17), r(4, 17), 0],
  [0, r(-4, 17), r(4, 17), 1, -1, r(-4, 17), r(4, 17), 0],
  [0, r(2, 5), r(4, 5), r(-1, 2), -1, r(1, 10), r(1, 5), 0],
  [0, r(-2, 5), r(4, 5), r(1, 2), -1, r(-1, 10), r(1, 5), 0],
  [0, r(1, 5), r(1, 10), -1, r(-1, 2), r(4, 5), r(2, 5), 0],
  [0, r(-1, 5), r(1, 10), 1, r(-1, 2), r(-4, 5), r(2, 5), 0],
  [0, r(-4, 21), 0, 1, 0, -1, 0, r(4, 21)],
];

/** G (8x5) of F(4x4, 5x5). */
export const G8: number[][] = [
  [r(-21, 4), 0, 0, 0, 0],
  [r(-17, 18), r(-17, 18), r(-17, 18), r(-17, 18), r(-17, 18)],
  [r(-17, 18), r(17, 18), r(-17, 18), r(17, 18), r(-17, 18)],
  [r(32, 9), r(16, 9), r(8, 9), r(4, 9), r(2, 9)],
  [r(32, 9), r(-16, 9), r(8, 9), r(-4, 9), r(2, 9)],
  [r(1, 36), r(1, 18), r(1, 9), r(2, 9), r(4, 9)],
  [r(1, 36), r(-1, 18), r(1, 9), r(-2, 9), r(4, 9)],
  [0, 0, 0, 0, r(21, 4)],
];

/** A^T (4x8) of F(4x4, 5x5). */
export const AT8: number[][] = [
  [1, 1, 1, 1, 1, 1, 1, 0],
  [0, 1, -1, r(1, 2), r(-1, 2), 2, -2, 0],
  [0, 1, 1, r(1, 4), r(1, 4), 4, 4, 0],
  [0, 1, -1, r(1, 8), r(-1, 8), 8, -8, 1],
];
