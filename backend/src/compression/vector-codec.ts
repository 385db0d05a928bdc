// Encodes a float vector (a model, or a node's delta) into a payload by the run's settings, and
// decodes a payload back, checking it is exactly what those settings produce for this model.
import type { Quantisation } from "../domain/compression.js";
import { topKCount } from "../domain/compression.js";
import {
  LEVELS,
  PayloadError,
  readPayload,
  writePayload,
  type Payload,
  type PayloadContent,
  type ScaleMode,
  type ValueCoding,
} from "./payload-format.js";
import { topKIndices } from "./top-k.js";

/** How one vector is encoded. */
export interface VectorCoding {
  content: PayloadContent;
  quantise: Quantisation;
  scale: "tensor" | "chunk";
  chunkSize: number;
  /** Fraction of coordinates sent (uploads only). */
  topK?: number | undefined;
}

/** The model's tensors' sizes in flat order (scale "tensor" gives each its own scale). */
export type TensorSizes = readonly number[];

/**
 * Stochastic rounding (uploads: unbiased, so averaging many nodes' updates cancels the error) or
 * rounding to nearest (downloads: one deterministic model, the smallest error, and anyone can
 * re-encode it from the global model to check its hash).
 */
export type Rounding = { kind: "stochastic"; random: () => number } | { kind: "nearest" };

const valueCoding = (q: Quantisation): ValueCoding => (q === "none" ? "float32" : q);

/** Group of each carried value: its chunk, or the tensor its coordinate lies in. */
function groupsOf(
  mode: ScaleMode,
  count: number,
  chunkSize: number,
  indices: Uint32Array | null,
  tensors: TensorSizes,
): { group: Uint32Array; groups: number } {
  const group = new Uint32Array(count);
  if (mode === "chunk") {
    for (let i = 0; i < count; i++) group[i] = Math.floor(i / chunkSize);
    return { group, groups: Math.ceil(count / chunkSize) };
  }
  if (mode === "none") return { group, groups: 0 };
  let t = 0;
  let end = tensors[0] ?? 0;
  for (let i = 0; i < count; i++) {
    const coord = indices ? indices[i]! : i;
    while (coord >= end && t < tensors.length - 1) end += tensors[++t]!;
    group[i] = t;
  }
  return { group, groups: tensors.length };
}

/** Encodes `x` (n = x.length) by `coding`; returns the bytes and the vector they decode to. */
export function encodeVector(
  x: Float32Array,
  coding: VectorCoding,
  tensors: TensorSizes,
  rounding: Rounding,
): { bytes: Uint8Array; decoded: Float32Array } {
  const n = x.length;
  const indices = coding.topK === undefined ? null : topKIndices(x, topKCount(coding.topK, n));
  const m = indices ? indices.length : n;
  const values = valueCoding(coding.quantise);
  const scaleMode: ScaleMode = values === "float32" ? "none" : coding.scale;
  const carried = new Float32Array(m);
  for (let i = 0; i < m; i++) carried[i] = x[indices ? indices[i]! : i]!;
  const { group, groups } = groupsOf(scaleMode, m, coding.chunkSize, indices, tensors);
  const scales = new Float32Array(groups);
  let data: Float32Array | Int8Array = carried;
  let decodedCarried: Float32Array = carried;
  if (values !== "float32") {
    for (let i = 0; i < m; i++) {
      const a = Math.abs(carried[i]!);
      if (a > scales[group[i]!]!) scales[group[i]!] = a;
    }
    const q = quantiseValues(carried, group, scales, LEVELS[values], rounding);
    data = q;
    decodedCarried = dequantise(q, group, scales, LEVELS[values]);
  }
  const payload: Payload = {
    content: coding.content,
    values,
    layout: indices ? "sparse" : "dense",
    scaleMode,
    length: n,
    chunkSize: scaleMode === "chunk" ? coding.chunkSize : 0,
    scales,
    indices,
    data,
  };
  return { bytes: writePayload(payload), decoded: scatter(decodedCarried, indices, n) };
}

function quantiseValues(
  v: Float32Array,
  group: Uint32Array,
  scales: Float32Array,
  levels: number,
  rounding: Rounding,
): Int8Array {
  const out = new Int8Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const s = scales[group[i]!]!;
    if (s === 0) continue;
    const y = (Math.abs(v[i]!) / s) * levels;
    let q: number;
    if (rounding.kind === "nearest") q = Math.round(y);
    else {
      const lo = Math.floor(y);
      q = lo + (rounding.random() < y - lo ? 1 : 0);
    }
    if (q > levels) q = levels;
    out[i] = v[i]! < 0 ? -q : q;
  }
  return out;
}

function dequantise(
  q: Int8Array,
  group: Uint32Array,
  scales: Float32Array,
  levels: number,
): Float32Array {
  const out = new Float32Array(q.length);
  for (let i = 0; i < q.length; i++) out[i] = (q[i]! / levels) * scales[group[i]!]!;
  return out;
}

function scatter(values: Float32Array, indices: Uint32Array | null, n: number): Float32Array {
  if (!indices) return values;
  const out = new Float32Array(n);
  for (let i = 0; i < indices.length; i++) out[indices[i]!] = values[i]!;
  return out;
}

/** The payload's settings must be the run's, exactly: anything else is refused with the field. */
function checkSettings(p: Payload, coding: VectorCoding, n: number, tensors: TensorSizes): void {
  const values = valueCoding(coding.quantise);
  const scaleMode: ScaleMode = values === "float32" ? "none" : coding.scale;
  const want = (field: string, got: unknown, expected: unknown) => {
    if (got !== expected)
      throw new PayloadError(`${field} is ${String(got)}, the run asks for ${String(expected)}`);
  };
  want("content", p.content, coding.content);
  want("parameter count", p.length, n);
  want("value coding", p.values, values);
  want("scale mode", p.scaleMode, scaleMode);
  if (scaleMode === "chunk") want("chunk size", p.chunkSize, coding.chunkSize);
  if (scaleMode === "tensor") want("number of scales", p.scales.length, tensors.length);
  want("layout", p.layout, coding.topK === undefined ? "dense" : "sparse");
  if (coding.topK !== undefined) want("k (values sent)", p.data.length, topKCount(coding.topK, n));
}

/** Decodes a payload that must follow `coding` for an n-parameter model; throws PayloadError. */
export function decodeVector(
  bytes: Uint8Array,
  coding: VectorCoding,
  n: number,
  tensors: TensorSizes,
): Float32Array {
  const p = readPayload(bytes);
  checkSettings(p, coding, n, tensors);
  if (p.data instanceof Float32Array) return scatter(p.data, p.indices, n);
  const { group } = groupsOf(p.scaleMode, p.data.length, p.chunkSize, p.indices, tensors);
  checkGroups(p.data, group, p.scales, LEVELS[p.values]);
  return scatter(dequantise(p.data, group, p.scales, LEVELS[p.values]), p.indices, n);
}

/**
 * A group's scale is its largest magnitude, which the encoder maps to ±L: a group with a non-zero
 * scale has a value at ±L, and a group with scale 0 only zeros. Anything else is not an encoding.
 */
function checkGroups(q: Int8Array, group: Uint32Array, scales: Float32Array, levels: number): void {
  const top = new Uint8Array(scales.length);
  for (let i = 0; i < q.length; i++) {
    const a = Math.abs(q[i]!);
    if (a > top[group[i]!]!) top[group[i]!] = a;
  }
  for (let k = 0; k < scales.length; k++) {
    const used = top[k]! > 0 || scales[k]! > 0;
    if (used && (scales[k] === 0) !== (top[k] === 0))
      throw new PayloadError(`scale group ${k}: scale ${scales[k]} with values up to ${top[k]}`);
    if (scales[k]! > 0 && top[k] !== levels)
      throw new PayloadError(
        `scale group ${k}: its largest value is ${top[k]}, the encoding maps it to ${levels}`,
      );
  }
}
