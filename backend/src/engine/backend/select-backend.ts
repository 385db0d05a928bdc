/**
 * Chooses the TensorFlow.js backend for this thread:
 *
 * 1. `@tensorflow/tfjs-node` ("tensorflow"), when it is installed and loads (it is an optional
 *    dependency: its install needs a download this project's machines cannot make);
 * 2. otherwise `@tensorflow/tfjs-backend-wasm` ("wasm") with this engine's training kernels;
 * 3. "cpu" only when asked for explicitly (it is far too slow to train the CNN).
 *
 * FEDLEDGER_TF_BACKEND=tensorflow|wasm|cpu forces one. The choice is logged once per thread.
 */
import * as tf from "@tensorflow/tfjs";
import { isMainThread, threadId } from "node:worker_threads";
import { kernelRuntime, trainingKernelsFor, type TrainingKernels } from "../simd/index.js";
import { CUSTOM_WASM_KERNELS, registerWasmTrainingKernels } from "./wasm-conv-kernels.js";

export type BackendName = "tensorflow" | "wasm" | "cpu";
export type BackendPreference = BackendName | "auto";

/** What the engine runs on (reported by the API). */
export interface EngineInfo {
  backend: BackendName;
  /** Threads used by one engine instance (wasm: its XNNPACK thread pool; tensorflow: intra-op). */
  threads?: number;
  /** Whether the wasm binary in use has SIMD. */
  simd?: boolean;
  /** Kernels this engine registered on top of the stock backend. */
  customKernels: string[];
  /**
   * What trains and evaluates the models: the engine's own WebAssembly SIMD kernels ("simd",
   * the default on the wasm backend) or the TensorFlow.js graph ("tfjs").
   */
  trainingKernels: TrainingKernels;
  /** SIMD kernels only: whether they use relaxed-SIMD fused multiply-add. */
  fma?: boolean;
  tfjsVersion: string;
  /** Why a preferred backend was not used, if one was skipped. */
  fallbackReason?: string;
}

let selected: Promise<EngineInfo> | null = null;

function log(msg: string): void {
  if (process.env.FEDLEDGER_ENGINE_QUIET) return;
  console.error(`[engine${isMainThread ? "" : ` worker ${threadId}`}] ${msg}`);
}

async function tryTensorflow(): Promise<EngineInfo | string> {
  // A variable specifier keeps TypeScript from requiring the optional package at compile time.
  const pkg = "@tensorflow/tfjs-node";
  try {
    await import(pkg);
  } catch (err) {
    const code = (err as { code?: string }).code;
    return code === "ERR_MODULE_NOT_FOUND"
      ? `${pkg} is not installed`
      : `${pkg} failed to load: ${(err as Error).message.split("\n")[0]}`;
  }
  if (!tf.findBackend("tensorflow"))
    return `${pkg} loaded but registered no "tensorflow" backend with this @tensorflow/tfjs (version mismatch?)`;
  if (!(await tf.setBackend("tensorflow"))) return `backend "tensorflow" failed to initialise`;
  return withKernels({ backend: "tensorflow", customKernels: [], tfjsVersion: tf.version_core });
}

/** Adds the training kernels in use (compiling the SIMD module now, so a failure shows here). */
function withKernels(info: Omit<EngineInfo, "trainingKernels">): EngineInfo {
  const trainingKernels = trainingKernelsFor(info.backend);
  if (trainingKernels === "tfjs") return { ...info, trainingKernels };
  return { ...info, trainingKernels, fma: kernelRuntime().fma };
}

async function useWasm(fallbackReason?: string): Promise<EngineInfo> {
  const wasm = await import("@tensorflow/tfjs-backend-wasm");
  if (!(await tf.setBackend("wasm")))
    throw new Error("the TensorFlow.js wasm backend failed to initialise");
  registerWasmTrainingKernels();
  const simd = Boolean(await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT"));
  const info = withKernels({
    backend: "wasm",
    threads: wasm.getThreadsCount(),
    simd,
    customKernels: [...CUSTOM_WASM_KERNELS],
    tfjsVersion: tf.version_core,
  });
  if (fallbackReason) info.fallbackReason = fallbackReason;
  return info;
}

async function select(pref: BackendPreference): Promise<EngineInfo> {
  if (pref === "cpu") {
    await tf.setBackend("cpu");
    return withKernels({
      backend: "cpu",
      threads: 1,
      customKernels: [],
      tfjsVersion: tf.version_core,
    });
  }
  if (pref === "wasm") return useWasm();
  const tfn = await tryTensorflow();
  if (typeof tfn !== "string") return tfn;
  if (pref === "tensorflow") throw new Error(`backend "tensorflow" was requested but ${tfn}`);
  return useWasm(tfn);
}

/**
 * Initialises the backend for this thread once (later calls return the same info). The first
 * caller's preference wins; default: FEDLEDGER_TF_BACKEND or "auto".
 */
export function selectBackend(pref?: BackendPreference): Promise<EngineInfo> {
  if (!selected) {
    const want =
      pref ?? ((process.env.FEDLEDGER_TF_BACKEND as BackendPreference | undefined) || "auto");
    if (!["auto", "tensorflow", "wasm", "cpu"].includes(want))
      throw new Error(`unknown backend "${want}"; expected auto, tensorflow, wasm or cpu`);
    selected = select(want).then((info) => {
      log(
        `TensorFlow.js backend: ${info.backend}` +
          (info.threads ? `, ${info.threads} thread(s)` : "") +
          (info.simd !== undefined ? `, simd=${info.simd}` : "") +
          `, training kernels: ${info.trainingKernels}` +
          (info.fallbackReason ? ` (${info.fallbackReason})` : ""),
      );
      return info;
    });
    selected.catch(() => (selected = null));
  }
  return selected;
}
