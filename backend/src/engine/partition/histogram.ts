/** Counts of each label among `indices` (a node's label histogram, for the API). */
export function labelHistogram(
  labels: Uint8Array,
  indices: ArrayLike<number>,
  numClasses = 10,
): number[] {
  const h = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < indices.length; i++) {
    const c = labels[indices[i]!];
    if (c !== undefined && c < numClasses) h[c]!++;
  }
  return h;
}
