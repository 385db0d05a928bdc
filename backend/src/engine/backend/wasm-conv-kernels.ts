/**
 * Training kernels for the TensorFlow.js wasm backend, registered with tf.registerKernel.
 *
 * The stock wasm backend (4.22) has no Conv2DBackpropFilter, a scalar-loop Conv2DBackpropInput,
 * and a BatchMatMul that only reaches XNNPACK's GEMM when neither operand is transposed (the
 * dense-layer gradients always transpose one operand, so they fall back to a scalar loop). Every
 * kernel here is a composition of existing wasm kernels arranged so that the heavy work lands
 * in XNNPACK's GEMM / convolution:
 *
 * - Conv2DBackpropFilter: im2col. A JS loop writes P^T = [KH*KW*Cin, B*Ho*Wo] straight into
 *   wasm memory (from the input transposed to [Cin, B, H, W], so rows copy contiguously); then
 *   dW = P^T @ dy[B*Ho*Wo, Cout] is ONE XNNPACK GEMM whose reduction runs over the whole batch
 *   (the fast shape: only dy, 64 columns wide, gets packed), and its [K, Cout] result is already
 *   the HWIO filter layout. (Formulating it as a Conv2D over transposed inputs instead puts the
 *   batch in the GEMM's inner dimension per tap: 10-32 long, so XNNPACK runs far below peak.)
 * - MaxPoolGrad: one JS pass over the wasm heap (first-max rule, as the cpu backend); the stock
 *   kernel is a slow generic pooling loop.
 * - Conv2DBackpropInput (stride 1): a forward Conv2D of dy with the filter rotated 180 degrees and
 *   its channel axes swapped, padded by (K-1-pad): XNNPACK's convolution.
 * - BatchMatMul with transposeA/transposeB (2-D, batch 1): materialise the cheaper transpose and
 *   run the untransposed XNNPACK path; C = A@B^T may be computed as (B@A^T)^T when that moves
 *   less data.
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
  if ((!transposeA && !transposeB) || batchA !== 1 || batchB !== 1 || a.dtype !== "float32") {
    return originalBatchMatMul!(args);
  }
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
 * P^T for the filter gradient: rows (kh, kw, cin), columns (b, oh, ow); entry = the input pixel
 * that tap (kh, kw) of output (oh, ow) reads (0 in the padding). Written straight into a wasm
 * tensor with a JS loop over contiguous rows of the [Cin, B, H, W]-transposed input.
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
  const xt = cin === 1 ? null : transpose(backend, x, [3, 0, 1, 2]);
  const cols = batch * ho * wo;
  const out = backend.makeOutput([kh * kw * cin, cols], "float32");
  const [heap, src0] = heapOf(backend, xt ?? x);
  const [, dst0] = heapOf(backend, out);
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
        for (let b = 0; b < batch; b++) {
          const plane = src0 + (c * batch + b) * h * w;
          for (let oh = 0; oh < ho; oh++) {
            const ih = oh * sh + i * dh - top;
            if (ih < 0 || ih >= h) {
              heap.fill(0, dst, dst + wo);
              dst += wo;
              continue;
            }
            let ow = 0;
            for (; ow < owLo; ow++) heap[dst++] = 0;
            let s = plane + ih * w + owLo * sw + colOff;
            if (sw === 1) {
              for (; ow < owHi; ow++) heap[dst++] = heap[s++]!;
            } else {
              for (; ow < owHi; ow++, s += sw) heap[dst++] = heap[s]!;
            }
            for (; ow < wo; ow++) heap[dst++] = 0;
          }
        }
      }
    }
  }
  if (xt) free(backend, xt);
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
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < ho; oh++) {
      const ih0 = oh * sh - top;
      const ihA = Math.max(0, ih0);
      const ihB = Math.min(h, ih0 + fh);
      for (let ow = 0; ow < wo; ow++) {
        const iw0 = ow * sw - left;
        const iwA = Math.max(0, iw0);
        const iwB = Math.min(w, iw0 + fw);
        const dyBase = dy0 + ((b * ho + oh) * wo + ow) * ch;
        for (let c = 0; c < ch; c++) {
          let best = -Infinity;
          let at = -1;
          for (let ih = ihA; ih < ihB; ih++) {
            for (let iw = iwA; iw < iwB; iw++) {
              const k = ((b * h + ih) * w + iw) * ch + c;
              const v = heap[x0 + k]!;
              if (v > best || at < 0) {
                best = v;
                at = k;
              }
            }
          }
          if (at >= 0) heap[dx0 + at] = heap[dx0 + at]! + heap[dyBase + c]!;
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
  const dy2 = reshape(backend, dy, [batch * ho * wo, cout]);
  const dw = gemm(backend, pt, dy2);
  free(backend, pt, dy2);
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
  const flipped = run(backend, "Reverse", { x: filter }, { dims: [0, 1] });
  const wt = transpose(backend, flipped, [0, 1, 3, 2]);
  free(backend, flipped);
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
