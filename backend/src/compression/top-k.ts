// Top-k selection by magnitude in O(n): a quickselect finds the k-th largest |x|, then one pass
// keeps the coordinates above it and as many ties as fill k, in index order.

/** The k-th largest value of `a` (1-based k), reordering `a`. */
function kthLargest(a: Float32Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  const target = k - 1; // position in descending order
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    // Median of three as the pivot, so sorted or constant input stays linear on average.
    const x = a[lo]!;
    const y = a[mid]!;
    const z = a[hi]!;
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! > pivot) i++;
      while (a[j]! < pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else return a[target]!;
  }
  return a[target]!;
}

/** The indices of the k largest |x| (ties broken by lower index), ascending. */
export function topKIndices(x: Float32Array, k: number): Uint32Array {
  const n = x.length;
  if (k >= n) return Uint32Array.from({ length: n }, (_, i) => i);
  const mags = new Float32Array(n);
  for (let i = 0; i < n; i++) mags[i] = Math.abs(x[i]!);
  const threshold = kthLargest(mags, k);
  let above = 0;
  for (let i = 0; i < n; i++) if (Math.abs(x[i]!) > threshold) above++;
  let ties = k - above;
  const out = new Uint32Array(k);
  let w = 0;
  for (let i = 0; i < n && w < k; i++) {
    const v = Math.abs(x[i]!);
    if (v > threshold) out[w++] = i;
    else if (v === threshold && ties > 0) {
      out[w++] = i;
      ties--;
    }
  }
  // NaN compares false both ways: a vector with one would leave slots unfilled.
  if (w !== k) throw new RangeError(`top-k found ${w} of ${k} values (non-finite input?)`);
  return out;
}
