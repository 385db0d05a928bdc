/**
 * Where a model's parameters live in the engine's working buffer: every tensor except the dense
 * kernels first (one SGD pass covers them), then the dense kernels [in, out] as 8-column panels
 * ([ceil(out/8)][in][8], zero-padded; the layout the micro-kernel streams), each slot 16-float
 * aligned; and the conversions between that layout and the flat `paramSpecs` vector.
 */
import type { ModelKind } from "../models/spec.js";
import { paramSpecs } from "../models/spec.js";

export const round8 = (v: number) => Math.ceil(v / 8) * 8;

/** One parameter tensor: where it is in the flat vector and in the working buffer. */
export interface Slot {
  /** Float offset in the flat (paramSpecs) vector, and element count. */
  flat: number;
  size: number;
  /** Float offset in the working buffer. */
  at: number;
  /** Dense kernels [k, n] are stored as panels of 8 columns. */
  panels?: { k: number; n: number };
}

/** The working layout of a model's parameters (offsets and sizes in floats). */
export function weightLayout(kind: ModelKind): {
  slots: Slot[];
  unpackedPrefix: number;
  working: number;
} {
  // Working layout: every tensor except the dense kernels first (one SGD pass covers them),
  // then the dense kernels as panels; each slot 16-float aligned.
  const specs = paramSpecs(kind);
  let flat = 0;
  const pending: Slot[] = [];
  for (const p of specs) {
    const size = p.shape.reduce((a, b) => a * b, 1);
    const isDenseKernel = p.shape.length === 2;
    pending.push({
      flat,
      size,
      at: 0,
      ...(isDenseKernel ? { panels: { k: p.shape[0]!, n: p.shape[1]! } } : {}),
    });
    flat += size;
  }
  let at = 0;
  for (const s of pending.filter((q) => !q.panels)) {
    s.at = at;
    at += Math.ceil(s.size / 16) * 16;
  }
  const unpackedPrefix = at;
  for (const s of pending.filter((q) => q.panels)) {
    s.at = at;
    at += s.panels!.k * round8(s.panels!.n);
    at = Math.ceil(at / 16) * 16;
  }
  return { slots: pending, unpackedPrefix, working: at };
}

/** Flat vector -> working layout at float offset `b` of `h`. */
export function packFlat(h: Float32Array, slots: Slot[], flat: Float32Array, b: number): void {
  for (const s of slots) {
    const src = flat.subarray(s.flat, s.flat + s.size);
    if (!s.panels) {
      h.set(src, b + s.at);
      continue;
    }
    const { k, n } = s.panels;
    for (let p = 0; p < n; p += 8) {
      const w = Math.min(8, n - p);
      let d = b + s.at + p * k;
      for (let r = 0; r < k; r++, d += 8) {
        const row = r * n + p;
        for (let j = 0; j < w; j++) h[d + j] = src[row + j]!;
        for (let j = w; j < 8; j++) h[d + j] = 0;
      }
    }
  }
}

/** Working layout at float offset `b` of `h` -> a new flat vector of `params` values. */
export function unpackFlat(
  h: Float32Array,
  slots: Slot[],
  params: number,
  b: number,
): Float32Array {
  const out = new Float32Array(params);
  for (const s of slots) {
    if (!s.panels) {
      out.set(h.subarray(b + s.at, b + s.at + s.size), s.flat);
      continue;
    }
    const { k, n } = s.panels;
    for (let p = 0; p < n; p += 8) {
      const w = Math.min(8, n - p);
      let d = b + s.at + p * k;
      for (let r = 0; r < k; r++, d += 8) {
        const row = s.flat + r * n + p;
        for (let j = 0; j < w; j++) out[row + j] = h[d + j]!;
      }
    }
  }
  return out;
}
