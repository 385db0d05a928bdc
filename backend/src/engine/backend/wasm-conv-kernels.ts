/**
 * Training kernels for the TensorFlow.js wasm backend, registered with tf.registerKernel.
 *
 * The stock wasm backend (4.22) has no Conv2DBackpropFilter, a scalar-loop Conv2DBackpropInput,
 * and a BatchMatMul that only reaches XNNPACK's GEMM when neither operand is transposed (the
 * dense-layer gradients always transpose one operand, so they fall back to a scalar loop). Every
 * kernel here is a composition of existing wasm kernels arranged so that the heavy work lands
 * in XNNPACK's GEMM / convolution:
 *
 * - Conv2DBackpropFilter: im2col. P^T = [KH*KW*Cin, Ho*Wo*B] is written straight into wasm
 *   memory with one memmove per (tap, cin, output row), from the input transposed to
 *   [Cin, H, W, B] (so a row of outputs for all images is contiguous); then
 *   dW = P^T @ dy[Ho*Wo*B, Cout] is ONE XNNPACK GEMM whose reduction runs over the whole batch
 *   (the fast shape: only dy, 64 columns wide, gets packed), and its [K, Cout] result is already
 *   the HWIO filter layout. (Formulating it as a Conv2D over transposed inputs instead puts the
 *   batch in the GEMM's inner dimension per tap: 10-32 long, so XNNPACK runs far below peak.)
 * - MaxPoolGrad: one JS pass over the wasm heap (first-max rule, as the cpu backend); the stock
 *   kernel is a slow generic pooling loop.
 * - Conv2DBackpropInput (stride 1): a forward Conv2D of dy with the filter rotated 180 degrees and
 *   its channel axes swapped, padded by (K-1-pad): XNNPACK's convolution.
 * - BatchMatMul (2-D, batch 1): with transposeA/transposeB, materialise the cheaper transpose and
 *   run the untransposed XNNPACK path (C = A@B^T may be computed as (B@A^T)^T when that moves
 *   less data); without transposes, avoid XNNPACK's slow packing of a fresh large right operand
 *   (the fc weights after each SGD step) by computing (B^T A^T)^T.
 *
 * Intermediates are freed with backend.disposeData; outputs are ordinary wasm tensors.
 */
import * as tf from "@tensorflow/tfjs";

type TensorInfo = tf.TensorInfo;
/** The parts of tfjs-backend-wasm's BackendWasm these kernels use (its heap and allocator). */
type Backend = tf.KernelBackend & {
  disposeData(dataId: object, force?: boolean): boolean;
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  wasm: { HEAPF32: Float32Array };
};
type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: Backend; attrs?: tf.NamedAttrMap };
type Kernel = (args: KernelArgs) => TensorInfo;

const BACKEND = "wasm";

/** Names of the kernels this module registers (reported by engineInfo). */
export const CUSTOM_WASM_KERNELS = [
  "Conv2DBackpropFilter",
  "Conv2DBackpropInput",
  "BatchMatMul",
  "MaxPoolGrad",
] as const;

function kernel(name: string): Kernel {
  const k = tf.getKernel(name, BACKEND);
  if (!k)
    throw new Error(
      `wasm kernel ${name} is not registered; is @tensorflow/tfjs-backend-wasm loaded?`,
    );
  return k.kernelFunc as unknown as Kernel;
}

/** Runs an existing wasm kernel. */
function run(
  backend: Backend,
  name: string,
  inputs: tf.NamedTensorInfoMap,
  attrs: tf.NamedAttrMap = {},
): TensorInfo {
  return kernel(name)({ inputs, backend, attrs });
}

function free(backend: Backend, ...infos: TensorInfo[]): void {
  for (const t of infos) backend.disposeData(t.dataId);
}

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Float32 view of the wasm heap and the element offset of a tensor in it. */
function heapOf(backend: Backend, t: TensorInfo): [Float32Array, number] {
  const d = backend.dataIdMap.get(t.dataId);
  if (!d) throw new Error("tensor is not on the wasm backend");
  // Read HEAPF32 after every allocation: memory growth replaces the buffer.
  return [backend.wasm.HEAPF32, d.memoryOffset >>> 2];
}

function reshape(backend: Backend, x: TensorInfo, shape: number[]): TensorInfo {
  return run(backend, "Reshape", { x }, { shape });
}

function transpose(backend: Backend, x: TensorInfo, perm: number[]): TensorInfo {
  return run(backend, "Transpose", { x }, { perm });
}

/** Captured before our overrides are registered, so we can delegate to them. */
let originalBatchMatMul: Kernel | null = null;
let originalConv2DBackpropInput: Kernel | null = null;

/** Plain 2-D product a[M,K] @ b[K,N] through the stock (XNNPACK fully-connected) kernel. */
function gemm(backend: Backend, a: TensorInfo, b: TensorInfo): TensorInfo {
  return originalBatchMatMul!({
    inputs: { a, b },
    backend,
    attrs: { transposeA: false, transposeB: false },
  });
}

/**
 * Right operands XNNPACK already holds a packed operator for. Its fully-connected operator packs
 * b (transposing it) on first use, about 10 ns per element: 17 ms for the CNN's 3136x512 fc1
 * kernel, which is new after every SGD step. WeakSet: entries vanish with their tensors.
 */
const packedRightOperands = new WeakSet<object>();

/**
 * a[M,K] @ b[K,N] without transposes. When b has not been packed yet and a has few rows (a
 * training minibatch against a freshly updated weight matrix), computes (b^T a^T)^T instead:
 * two cheap transposes and packing only the small a^T.
 */
function plainMatMul(backend: Backend, a: TensorInfo, b: TensorInfo): TensorInfo {
  const ra = a.shape.length;
  const rb = b.shape.length;
  const m = a.shape[ra - 2]!;
  const k = a.shape[ra - 1]!;
  const n = b.shape[rb - 1]!;
  if (packedRightOperands.has(b.dataId) || k * n < 65_536 || 10 * m >= 9 * n) {
    packedRightOperands.add(b.dataId);
    return gemm(backend, a, b);
  }
  const A = reshape(backend, a, [m, k]);
  const B = reshape(backend, b, [k, n]);
  const bt = transpose(backend, B, [1, 0]);
  const at = transpose(backend, A, [1, 0]);
  const ct = gemm(backend, bt, at);
  const c = transpose(backend, ct, [1, 0]);
  free(backend, A, B, bt, at, ct);
  const out = reshape(backend, c, [...(ra >= rb ? a.shape : b.shape).slice(0, -2), m, n]);
  free(backend, c);
  return out;
}

function batchMatMul(args: KernelArgs): TensorInfo {
  const { inputs, backend } = args;
  const a = inputs.a as TensorInfo;
  const b = inputs.b as TensorInfo;
  const { transposeA, transposeB } = (args.attrs ?? {}) as {
    transposeA: boolean;
    transposeB: boolean;
  };
  const ra = a.shape.length;
  const rb = b.shape.length;
  const batchA = size(a.shape.slice(0, -2));
  const batchB = size(b.shape.slice(0, -2));
  if (batchA !== 1 || batchB !== 1 || a.dtype !== "float32") return originalBatchMatMul!(args);
  if (!transposeA && !transposeB) return plainMatMul(backend, a, b);
  const a2: [number, number] = [a.shape[ra - 2]!, a.shape[ra - 1]!];
  const b2: [number, number] = [b.shape[rb - 2]!, b.shape[rb - 1]!];
  const m = transposeA ? a2[1] : a2[0];
  const n = transposeB ? b2[0] : b2[1];
  const outShape = [...(ra >= rb ? a.shape : b.shape).slice(0, -2), m, n];
  const A = reshape(backend, a, a2);
  const B = reshape(backend, b, b2);
  const sizeA = a2[0] * a2[1];
  const sizeB = b2[0] * b2[1];
  const sizeC = m * n;
  let c: TensorInfo;
  if (transposeA && transposeB) {
    // A^T B^T = (B A)^T
    const ct = gemm(backend, B, A);
    c = transpose(backend, ct, [1, 0]);
    free(backend, ct);
  } else if (transposeA) {
    // A^T B: transposing A costs |A|; the alternative (B^T A)^T costs |A| + |B| + |C|.
    const at = transpose(backend, A, [1, 0]);
    c = gemm(backend, at, B);
    free(backend, at);
  } else {
    // A B^T directly (transpose B, then repacked: 2|B|) or as (B A^T)^T (2|A| + |C|).
    if (2 * sizeB <= 2 * sizeA + sizeC) {
      const bt = transpose(backend, B, [1, 0]);
      c = gemm(backend, A, bt);
      free(backend, bt);
    } else {
      const at = transpose(backend, A, [1, 0]);
      const ct = gemm(backend, B, at);
      c = transpose(backend, ct, [1, 0]);
      free(backend, at, ct);
    }
  }
  free(backend, A, B);
  const out = reshape(backend, c, outShape);
  free(backend, c);
  return out;
}

interface ConvAttrs {
  strides: number | [number, number];
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
  dataFormat?: "NHWC" | "NCHW";
  dimRoundingMode?: "floor" | "round" | "ceil";
  dilations?: number | [number, number];
}

function convInfo(
  xShape: number[],
  filterShape: number[],
  attrs: ConvAttrs,
): tf.backend_util.Conv2DInfo {
  const dataFormat = tf.backend_util.convertConv2DDataFormat(attrs.dataFormat ?? "NHWC");
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    dataFormat,
  );
}

/**
 * P^T for the filter gradient: rows (kh, kw, cin), columns (oh, ow, b); entry = the input pixel
 * that tap (kh, kw) of output (oh, ow) of image b reads (0 in the padding). The input is first
 * transposed to [Cin, H, W, B] so that, at stride 1, one row segment (all ow of an output row,
 * all images) is ONE contiguous run of Wo*B floats: a memmove per (tap, cin, oh) in wasm memory.
 * The caller orders dy as [Ho, Wo, B, Cout] to match the columns.
 */
function im2colTransposed(
  backend: Backend,
  x: TensorInfo,
  info: tf.backend_util.Conv2DInfo,
  kh: number,
  kw: number,
): TensorInfo {
  const [batch, h, w, cin] = x.shape as [number, number, number, number];
  const { outHeight: ho, outWidth: wo, strideHeight: sh, strideWidth: sw } = info;
  const { dilationHeight: dh, dilationWidth: dw } = info;
  const { top, left } = info.padInfo;
  const xt = transpose(backend, x, [3, 1, 2, 0]);
  const out = backend.makeOutput([kh * kw * cin, ho * wo * batch], "float32");
  const [heap, src0] = heapOf(backend, xt);
  const [, dst0] = heapOf(backend, out);
  const rowLen = wo * batch;
  let dst = dst0;
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      // Output columns whose input column is inside the image (the rest read padding).
      const colOff = j * dw - left;
      let owLo = 0;
      while (owLo < wo && owLo * sw + colOff < 0) owLo++;
      let owHi = wo;
      while (owHi > owLo && (owHi - 1) * sw + colOff >= w) owHi--;
      for (let c = 0; c < cin; c++) {
        const plane = src0 + c * h * w * batch;
        for (let oh = 0; oh < ho; oh++, dst += rowLen) {
          const ih = oh * sh + i * dh - top;
          if (ih < 0 || ih >= h || owHi <= owLo) {
            heap.fill(0, dst, dst + rowLen);
            continue;
          }
          if (owLo > 0) heap.fill(0, dst, dst + owLo * batch);
          if (owHi < wo) heap.fill(0, dst + owHi * batch, dst + rowLen);
          const rowSrc = plane + ih * w * batch;
          if (sw === 1) {
            const s = rowSrc + (owLo + colOff) * batch;
            heap.copyWithin(dst + owLo * batch, s, s + (owHi - owLo) * batch);
          } else {
            for (let ow = owLo; ow < owHi; ow++) {
              const s = rowSrc + (ow * sw + colOff) * batch;
              heap.copyWithin(dst + ow * batch, s, s + batch);
            }
          }
        }
      }
    }
  }
  free(backend, xt);
  return out;
}

/**
 * MaxPoolGrad (NHWC) in one pass: each output's gradient goes to the FIRST maximum of its window
 * (the cpu backend's rule). The stock wasm kernel recomputes positions with a slow generic 3-D
 * pooling loop.
 */
function maxPoolGrad(args: KernelArgs): TensorInfo {
  const { inputs, backend } = args;
  const dy = inputs.dy as TensorInfo;
  const input = inputs.input as TensorInfo;
  const attrs = args.attrs as unknown as {
    filterSize: number | [number, number];
    strides: number | [number, number];
    pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
    dimRoundingMode?: "floor" | "round" | "ceil";
  };
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const { batchSize, inHeight: h, inWidth: w, inChannels: ch, outHeight: ho, outWidth: wo } = info;
  const {
    strideHeight: sh,
    strideWidth: sw,
    effectiveFilterHeight: fh,
    effectiveFilterWidth: fw,
  } = info;
  const { top, left } = info.padInfo;
  const dx = backend.makeOutput(input.shape, "float32");
  const [heap, x0] = heapOf(backend, input);
  const [, dy0] = heapOf(backend, dy);
  const [, dx0] = heapOf(backend, dx);
  heap.fill(0, dx0, dx0 + batchSize * h * w * ch);
  // Element offsets (into x / dx) of the current window's pixels, in scan order.
  const win = new Int32Array(fh * fw);
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < ho; oh++) {
      const ih0 = oh * sh - top;
      const ihA = Math.max(0, ih0);
      const ihB = Math.min(h, ih0 + fh);
      for (let ow = 0; ow < wo; ow++) {
        const iw0 = ow * sw - left;
        const iwA = Math.max(0, iw0);
        const iwB = Math.min(w, iw0 + fw);
        let nWin = 0;
        for (let ih = ihA; ih < ihB; ih++)
          for (let iw = iwA; iw < iwB; iw++) win[nWin++] = ((b * h + ih) * w + iw) * ch;
        if (nWin === 0) continue;
        const dyBase = dy0 + ((b * ho + oh) * wo + ow) * ch;
        for (let c = 0; c < ch; c++) {
          let at = win[0]! + c;
          let best = heap[x0 + at]!;
          for (let q = 1; q < nWin; q++) {
            const k = win[q]! + c;
            const v = heap[x0 + k]!;
            if (v > best) {
              best = v;
              at = k;
            }
          }
          heap[dx0 + at] = heap[dx0 + at]! + heap[dyBase + c]!;
        }
      }
    }
  }
  return dx;
}

function conv2DBackpropFilter(args: KernelArgs): TensorInfo {
  const { inputs, backend } = args;
  const x = inputs.x as TensorInfo;
  const dy = inputs.dy as TensorInfo;
  const attrs = args.attrs as unknown as ConvAttrs & {
    filterShape: [number, number, number, number];
  };
  if ((attrs.dataFormat ?? "NHWC") !== "NHWC")
    throw new Error("wasm Conv2DBackpropFilter supports only NHWC (channelsLast)");
  const info = convInfo(x.shape, attrs.filterShape, attrs);
  const [kh, kw, cin, cout] = attrs.filterShape;
  const batch = x.shape[0]!;
  const { outHeight: ho, outWidth: wo } = info;
  const pt = im2colTransposed(backend, x, info, kh, kw);
  const dyt = transpose(backend, dy, [1, 2, 0, 3]);
  const dy2 = reshape(backend, dyt, [ho * wo * batch, cout]);
  const dw = gemm(backend, pt, dy2);
  free(backend, pt, dyt, dy2);
  const out = reshape(backend, dw, [kh, kw, cin, cout]);
  free(backend, dw);
  return out;
}

function conv2DBackpropInput(args: KernelArgs): TensorInfo {
  const { inputs, backend } = args;
  const dy = inputs.dy as TensorInfo;
  const filter = inputs.filter as TensorInfo;
  const attrs = args.attrs as unknown as ConvAttrs & {
    inputShape: [number, number, number, number];
  };
  const info = convInfo(attrs.inputShape, filter.shape, attrs);
  if (
    (attrs.dataFormat ?? "NHWC") !== "NHWC" ||
    info.strideHeight !== 1 ||
    info.strideWidth !== 1
  ) {
    return originalConv2DBackpropInput!(args);
  }
  const [kh, kw] = filter.shape as [number, number, number, number];
  const { top, bottom, left, right } = info.padInfo;
  // wt[i, j, o, c] = filter[kh-1-i, kw-1-j, c, o] (one JS pass; the stock Reverse is slow).
  const [, , cin, cout] = filter.shape as [number, number, number, number];
  const wt = backend.makeOutput([kh, kw, cout, cin], "float32");
  const [heap, f0] = heapOf(backend, filter);
  const [, w0] = heapOf(backend, wt);
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const src = f0 + ((kh - 1 - i) * kw + (kw - 1 - j)) * cin * cout;
      let dst = w0 + (i * kw + j) * cout * cin;
      for (let o = 0; o < cout; o++) {
        for (let c = 0; c < cin; c++) heap[dst++] = heap[src + c * cout + o]!;
      }
    }
  }
  const dx = run(
    backend,
    "Conv2D",
    { x: dy, filter: wt },
    {
      strides: [1, 1],
      pad: [
        [0, 0],
        [kh - 1 - top, kh - 1 - bottom],
        [kw - 1 - left, kw - 1 - right],
        [0, 0],
      ],
      dataFormat: "NHWC",
      dilations: [1, 1],
    },
  );
  free(backend, wt);
  return dx;
}

let registered = false;

/**
 * Registers the training kernels on the wasm backend. Call after the wasm backend has been
 * initialised (tf.setBackend("wasm") resolved), so the stock kernels we delegate to are set up.
 * Idempotent.
 */
export function registerWasmTrainingKernels(): void {
  if (registered) return;
  originalBatchMatMul = kernel("BatchMatMul");
  originalConv2DBackpropInput = kernel("Conv2DBackpropInput");
  const replace = (kernelName: string, kernelFunc: Kernel) => {
    if (tf.getKernel(kernelName, BACKEND)) tf.unregisterKernel(kernelName, BACKEND);
    tf.registerKernel({
      kernelName,
      backendName: BACKEND,
      kernelFunc: kernelFunc as unknown as tf.KernelFunc,
    });
  };
  replace("BatchMatMul", batchMatMul);
  replace("Conv2DBackpropInput", conv2DBackpropInput);
  replace("Conv2DBackpropFilter", conv2DBackpropFilter);
  replace("MaxPoolGrad", maxPoolGrad);
  registered = true;
}
