/**
 * Training kernels for the TensorFlow.js wasm backend, registered with tf.registerKernel.
 *
 * The stock wasm backend (4.22) has no Conv2DBackpropFilter, a scalar-loop Conv2DBackpropInput,
 * and a BatchMatMul that only reaches XNNPACK's GEMM when neither operand is transposed (the
 * dense-layer gradients always transpose one operand, so they fall back to a scalar loop). Every
 * kernel here is a composition of existing wasm kernels arranged so that the heavy work lands
 * in XNNPACK's GEMM / convolution:
 *
 * - Conv2DBackpropFilter: im2col. The padded input is transposed to [Cin, B, Hp, Wp]; one slice
 *   per filter tap gives the rows of P^T = [KH*KW*Cin, B*Ho*Wo]; dW = P^T @ dy[B*Ho*Wo, Cout] is
 *   one GEMM whose reduction runs over the whole batch (the fast shape), and its [K, Cout]
 *   result is already the HWIO filter layout.
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
type Backend = tf.KernelBackend & { disposeData(dataId: object, force?: boolean): boolean };
type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: Backend; attrs?: tf.NamedAttrMap };
type Kernel = (args: KernelArgs) => TensorInfo;

const BACKEND = "wasm";

/** Names of the kernels this module registers (reported by engineInfo). */
export const CUSTOM_WASM_KERNELS = [
  "Conv2DBackpropFilter",
  "Conv2DBackpropInput",
  "BatchMatMul",
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
  const { outHeight: ho, outWidth: wo, strideHeight: sh, strideWidth: sw } = info;
  const { top, bottom, left, right } = info.padInfo;

  // [Cin, B, H, W], zero-padded spatially.
  const xt =
    cin === 1
      ? reshape(backend, x, [1, batch, x.shape[1]!, x.shape[2]!])
      : transpose(backend, x, [3, 0, 1, 2]);
  let xp = xt;
  if (top || bottom || left || right) {
    xp = run(
      backend,
      "PadV2",
      { x: xt },
      {
        paddings: [
          [0, 0],
          [0, 0],
          [top, bottom],
          [left, right],
        ],
        constantValue: 0,
      },
    );
    free(backend, xt);
  }
  // One [Cin, B, Ho, Wo] window per tap, stacked as rows (kh, kw, cin) of P^T.
  const taps: TensorInfo[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      if (sh === 1 && sw === 1) {
        taps.push(
          run(backend, "Slice", { x: xp }, { begin: [0, 0, i, j], size: [cin, batch, ho, wo] }),
        );
      } else {
        taps.push(
          run(
            backend,
            "StridedSlice",
            { x: xp },
            {
              begin: [0, 0, i, j],
              end: [cin, batch, i + (ho - 1) * sh + 1, j + (wo - 1) * sw + 1],
              strides: [1, 1, sh, sw],
              beginMask: 0,
              endMask: 0,
              ellipsisMask: 0,
              newAxisMask: 0,
              shrinkAxisMask: 0,
            },
          ),
        );
      }
    }
  }
  free(backend, xp);
  const stacked =
    taps.length === 1
      ? taps[0]!
      : run(backend, "Concat", taps as unknown as tf.NamedTensorInfoMap, { axis: 0 });
  if (taps.length > 1) free(backend, ...taps);
  const pt = reshape(backend, stacked, [kh * kw * cin, batch * ho * wo]);
  const dy2 = reshape(backend, dy, [batch * ho * wo, cout]);
  const dw = gemm(backend, pt, dy2);
  free(backend, stacked, pt, dy2);
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
  registered = true;
}
