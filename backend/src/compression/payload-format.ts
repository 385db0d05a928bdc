// The compressed payload's wire format, version 1 (little-endian throughout). Hand-written because
// it is the protocol: every byte is signed by the node and hashed on chain, and a reader must
// reject anything malformed with a reason, never crash or guess.
//
//   offset size  field
//   0      4     magic "FLUP"
//   4      1     version (1)
//   5      1     content: 0 model weights, 1 model delta
//   6      1     values:  0 float32, 1 int8, 2 int4 (two per byte, low nibble first)
//   7      1     layout:  0 dense (every coordinate, in order), 1 sparse (indices below)
//   8      1     scales:  0 none (float32 values), 1 one per tensor, 2 one per chunk of values
//   9      3     reserved, zero
//   12     4     u32 n: the model's parameter count
//   16     4     u32 m: values carried (n when dense)
//   20     4     u32 chunk: values per scale (scales 2), else 0
//   24     4     u32 g: number of scales
//   28     4g    f32 scales (finite, >= 0)
//   ...    4     u32 index bytes (sparse only), then the indices as LEB128 gaps: the first index,
//                then each next index minus the previous minus 1 (strictly increasing, < n)
//   ...          the m values: f32, or int8 in [-127, 127], or int4 nibbles q + 8 with q in [-7, 7]
//
// A quantised value decodes to q / L x scale of its group, L = 127 (int8) or 7 (int4).
export const PAYLOAD_MAGIC = "FLUP";
export const PAYLOAD_VERSION = 1;
export const PAYLOAD_HEADER_BYTES = 28;

export const CONTENTS = ["weights", "delta"] as const;
export const VALUE_CODINGS = ["float32", "int8", "int4"] as const;
export const LAYOUTS = ["dense", "sparse"] as const;
export const SCALE_MODES = ["none", "tensor", "chunk"] as const;
export type PayloadContent = (typeof CONTENTS)[number];
export type ValueCoding = (typeof VALUE_CODINGS)[number];
export type PayloadLayout = (typeof LAYOUTS)[number];
export type ScaleMode = (typeof SCALE_MODES)[number];

/** Largest magnitude of a quantised value: L. */
export const LEVELS: Record<ValueCoding, number> = { float32: 0, int8: 127, int4: 7 };

/** A payload that breaks the format or the run's settings; the message says how. */
export class PayloadError extends Error {}

export interface Payload {
  content: PayloadContent;
  values: ValueCoding;
  layout: PayloadLayout;
  scaleMode: ScaleMode;
  /** n. */
  length: number;
  /** Values per scale (scaleMode chunk), else 0. */
  chunkSize: number;
  scales: Float32Array;
  /** Sparse layout: strictly increasing coordinates, one per value. */
  indices: Uint32Array | null;
  /** The m values: float32, or the quantised integers. */
  data: Float32Array | Int8Array;
}

function gapBytes(indices: Uint32Array): Uint8Array {
  const out: number[] = [];
  let prev = -1;
  for (const i of indices) {
    let gap = i - prev - 1;
    if (gap < 0) throw new RangeError(`indices must increase: ${i} after ${prev}`);
    prev = i;
    while (gap >= 0x80) {
      out.push((gap & 0x7f) | 0x80);
      gap = Math.floor(gap / 128);
    }
    out.push(gap);
  }
  return Uint8Array.from(out);
}

function valueBytes(p: Payload): number {
  const m = p.data.length;
  return p.values === "float32" ? 4 * m : p.values === "int8" ? m : Math.ceil(m / 2);
}

/** Serialises a payload (the encoder's output; its fields are trusted here). */
export function writePayload(p: Payload): Uint8Array {
  const gaps = p.indices ? gapBytes(p.indices) : null;
  const total =
    PAYLOAD_HEADER_BYTES + 4 * p.scales.length + (gaps ? 4 + gaps.length : 0) + valueBytes(p);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) out[i] = PAYLOAD_MAGIC.charCodeAt(i);
  out[4] = PAYLOAD_VERSION;
  out[5] = CONTENTS.indexOf(p.content);
  out[6] = VALUE_CODINGS.indexOf(p.values);
  out[7] = LAYOUTS.indexOf(p.layout);
  out[8] = SCALE_MODES.indexOf(p.scaleMode);
  view.setUint32(12, p.length, true);
  view.setUint32(16, p.data.length, true);
  view.setUint32(20, p.chunkSize, true);
  view.setUint32(24, p.scales.length, true);
  let at = PAYLOAD_HEADER_BYTES;
  for (const s of p.scales) {
    view.setFloat32(at, s, true);
    at += 4;
  }
  if (gaps) {
    view.setUint32(at, gaps.length, true);
    out.set(gaps, at + 4);
    at += 4 + gaps.length;
  }
  if (p.data instanceof Float32Array) {
    for (const v of p.data) {
      view.setFloat32(at, v, true);
      at += 4;
    }
  } else if (p.values === "int8") {
    out.set(new Uint8Array(p.data.buffer, p.data.byteOffset, p.data.length), at);
  } else {
    for (let i = 0; i < p.data.length; i += 2) {
      const lo = p.data[i]! + 8;
      const hi = i + 1 < p.data.length ? p.data[i + 1]! + 8 : 0;
      out[at++] = lo | (hi << 4);
    }
  }
  return out;
}

function code<T extends string>(names: readonly T[], byte: number, field: string): T {
  const name = names[byte];
  if (name === undefined) throw new PayloadError(`unknown ${field} code ${byte}`);
  return name;
}

/** Reads the header's version without parsing the rest (for a clear "version not spoken"). */
export function payloadVersion(bytes: Uint8Array): number | undefined {
  if (bytes.byteLength < 5) return undefined;
  for (let i = 0; i < 4; i++) if (bytes[i] !== PAYLOAD_MAGIC.charCodeAt(i)) return undefined;
  return bytes[4];
}

/** Parses and checks a payload's structure; throws PayloadError naming what is wrong. */
export function readPayload(bytes: Uint8Array): Payload {
  if (bytes.byteLength < PAYLOAD_HEADER_BYTES)
    throw new PayloadError(
      `truncated: ${bytes.byteLength} bytes, shorter than the ${PAYLOAD_HEADER_BYTES}-byte header`,
    );
  const version = payloadVersion(bytes);
  if (version === undefined) throw new PayloadError(`not a FedLedger payload (no "FLUP" magic)`);
  if (version !== PAYLOAD_VERSION)
    throw new PayloadError(
      `wire format version ${version} is not spoken here (this side speaks version ${PAYLOAD_VERSION})`,
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const content = code(CONTENTS, bytes[5]!, "content");
  const values = code(VALUE_CODINGS, bytes[6]!, "value coding");
  const layout = code(LAYOUTS, bytes[7]!, "layout");
  const scaleMode = code(SCALE_MODES, bytes[8]!, "scale mode");
  if (bytes[9] !== 0 || bytes[10] !== 0 || bytes[11] !== 0)
    throw new PayloadError("reserved header bytes 9-11 are not zero");
  const length = view.getUint32(12, true);
  const m = view.getUint32(16, true);
  const chunkSize = view.getUint32(20, true);
  const g = view.getUint32(24, true);
  if ((values === "float32") !== (scaleMode === "none"))
    throw new PayloadError(`${values} values with scale mode ${scaleMode}`);
  if (layout === "dense" && m !== length)
    throw new PayloadError(`dense payload carries ${m} values for ${length} parameters`);
  if (m > length) throw new PayloadError(`${m} values for ${length} parameters`);
  if ((scaleMode === "chunk") !== chunkSize > 0)
    throw new PayloadError(`chunk size ${chunkSize} with scale mode ${scaleMode}`);
  if (scaleMode === "chunk" && g !== Math.ceil(m / chunkSize))
    throw new PayloadError(`${g} scales for ${m} values in chunks of ${chunkSize}`);
  if (scaleMode === "none" && g !== 0) throw new PayloadError(`${g} scales without scale mode`);
  let at = PAYLOAD_HEADER_BYTES;
  const need = (bytesNeeded: number, what: string) => {
    if (at + bytesNeeded > bytes.byteLength)
      throw new PayloadError(
        `truncated: ${what} needs bytes ${at}-${at + bytesNeeded - 1}, the payload has ${bytes.byteLength}`,
      );
  };
  need(4 * g, `${g} scales`);
  const scales = new Float32Array(g);
  for (let k = 0; k < g; k++, at += 4) {
    const s = view.getFloat32(at, true);
    if (!(Number.isFinite(s) && s >= 0))
      throw new PayloadError(`scale ${k} is ${s}: scales must be finite and non-negative`);
    scales[k] = s;
  }
  // Every size is checked against the payload's length before anything of that size is allocated:
  // a header cannot make the reader allocate more than the bytes it was sent.
  let indexBytes = 0;
  if (layout === "sparse") {
    need(4, "the index length");
    indexBytes = view.getUint32(at, true);
    at += 4;
    need(indexBytes, `${indexBytes} index bytes`);
    if (m > indexBytes)
      throw new PayloadError(`${m} indices in ${indexBytes} bytes (each takes at least one)`);
  }
  const vBytes = values === "float32" ? 4 * m : values === "int8" ? m : Math.ceil(m / 2);
  need(indexBytes + vBytes, `${m} ${values} values`);
  if (at + indexBytes + vBytes !== bytes.byteLength)
    throw new PayloadError(
      `${bytes.byteLength - at - indexBytes - vBytes} bytes after the last value (the header promises ${at + indexBytes + vBytes})`,
    );
  const indices =
    layout === "sparse" ? readGaps(bytes.subarray(at, at + indexBytes), m, length) : null;
  at += indexBytes;
  const data = readValues(bytes.subarray(at), view, at, values, m);
  return { content, values, layout, scaleMode, length, chunkSize, scales, indices, data };
}

function readGaps(b: Uint8Array, m: number, n: number): Uint32Array {
  const out = new Uint32Array(m);
  let pos = 0;
  let prev = -1;
  for (let i = 0; i < m; i++) {
    let gap = 0;
    let mult = 1;
    for (;;) {
      if (pos >= b.length)
        throw new PayloadError(`truncated: the indices end after ${i} of ${m} values`);
      const byte = b[pos++]!;
      if (byte === 0 && mult > 1)
        throw new PayloadError(
          `index ${i}: gap not in its shortest encoding (a trailing zero byte)`,
        );
      gap += (byte & 0x7f) * mult;
      if (byte < 0x80) break;
      mult *= 128;
      if (mult >= 2 ** 35) throw new PayloadError(`index ${i}: gap longer than 5 bytes`);
    }
    const index = prev + 1 + gap;
    if (index >= n)
      throw new PayloadError(`index ${i} is ${index}, out of range for ${n} parameters`);
    out[i] = index;
    prev = index;
  }
  if (pos !== b.length)
    throw new PayloadError(`${b.length - pos} index bytes left after ${m} indices`);
  return out;
}

function readValues(
  b: Uint8Array,
  view: DataView,
  at: number,
  values: ValueCoding,
  m: number,
): Float32Array | Int8Array {
  if (values === "float32") {
    const out = new Float32Array(m);
    for (let i = 0; i < m; i++) {
      const v = view.getFloat32(at + 4 * i, true);
      if (!Number.isFinite(v)) throw new PayloadError(`value ${i} is ${v}`);
      out[i] = v;
    }
    return out;
  }
  const out = new Int8Array(m);
  if (values === "int8") {
    out.set(new Int8Array(b.buffer, b.byteOffset, m));
    const bad = out.indexOf(-128);
    if (bad >= 0) throw new PayloadError(`int8 value ${bad} is -128, outside [-127, 127]`);
    return out;
  }
  for (let i = 0; i < m; i++) {
    const nib = (b[i >> 1]! >> ((i & 1) * 4)) & 0xf;
    if (nib === 0) throw new PayloadError(`int4 value ${i} is -8, outside [-7, 7]`);
    out[i] = nib - 8;
  }
  if (m % 2 === 1 && b[m >> 1]! >> 4 !== 0)
    throw new PayloadError("the padding nibble after the last int4 value is not zero");
  return out;
}
