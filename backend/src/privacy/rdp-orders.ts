/**
 * Grids of Rényi orders (alpha) over which an RDP accountant minimises epsilon. Epsilon is the
 * minimum over the grid, so a finer or wider grid can only lower it; the grids below are the ones
 * the reference implementations use, so the same inputs give the same epsilon.
 */

/**
 * TF Privacy's grid (compute_dp_sgd_privacy, and the one most DP-FedAvg code copies):
 * 1.25 ... 4.5 in quarter and half steps, the integers 5 to 63, then 128, 256, 512. Python's
 * `range(5, 64)` stops at 63: the grid has no 64. FedLedger's default.
 */
export const TF_PRIVACY_RDP_ORDERS: readonly number[] = Object.freeze([
  1.25,
  1.5,
  1.75,
  2,
  2.25,
  2.5,
  3,
  3.5,
  4,
  4.5,
  ...Array.from({ length: 59 }, (_, i) => 5 + i),
  128,
  256,
  512,
]);

/**
 * Opacus's RDPAccountant.DEFAULT_ALPHAS (also the TF Privacy MNIST tutorial's orders):
 * 1.1, 1.2, ..., 10.9, then the integers 12 to 63.
 */
export const OPACUS_DEFAULT_ALPHAS: readonly number[] = Object.freeze([
  ...Array.from({ length: 99 }, (_, i) => 1 + (i + 1) / 10),
  ...Array.from({ length: 52 }, (_, i) => 12 + i),
]);

export const DEFAULT_RDP_ORDERS = TF_PRIVACY_RDP_ORDERS;
