// A run's own model, declared as a TF.js / Keras Layers topology (the JSON `model.toJSON()`
// produces for a Sequential model) and interpreted here as a pure function of its parameter
// tensors, so every worker and agent builds the same network and tf.valueAndGrads can train it.
// Parameters follow Keras' getWeights() order (per layer: kernel, then bias).
import * as tf from "@tensorflow/tfjs";
import { z } from "zod";
import type { ParamSpec } from "./spec.js";

/** Keras class names accepted in a Sequential topology. */
export const LAYERS_ALLOW_LIST: readonly string[] = [
  ...["InputLayer", "Dense", "Conv2D", "MaxPooling2D", "AveragePooling2D"],
  ...["GlobalAveragePooling2D", "Flatten", "Reshape", "Activation"],
];

export const DEFAULT_MAX_PARAMETERS = 10_000_000;

/** Most layers a topology may have. */
const MAX_LAYERS = 256;
/** Most values one sample's activations may have after any layer (keeps memory bounded). */
const MAX_ACTIVATION_SIZE = 1 << 24;
const ACTIVATIONS = ["linear", "relu", "sigmoid", "tanh", "softmax"] as const;
type Activation = (typeof ACTIVATIONS)[number];

export class ModelTopologyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ModelTopologyError";
  }
}

export interface LayersTopologyModel {
  /** Parameter tensors in Keras getWeights() order (per layer: kernel then bias), names like "dense_1.kernel". */
  params: ParamSpec[];
  /** Logits [B, numClasses] for x of shape [B, ...inputShape] (or [B, prod(inputShape)], reshape it). A final softmax activation is NOT applied (our loss takes logits). */
  forward(p: readonly tf.Tensor[], x: tf.Tensor): tf.Tensor2D;
  /** One line per layer, e.g. "Conv2D 3x3x16 same relu -> [30,30,16]", for the dashboard/README. */
  layers: string[];
  parameterCount: number;
}

type Config = Record<string, unknown>;

/** One interpreted layer: maps [B, ...in] to [B, ...out] given its `params`' tensors. */
interface BuiltLayer {
  apply(h: tf.Tensor, w: readonly tf.Tensor[]): tf.Tensor;
  params: ParamSpec[];
  out: number[];
  line: string;
}

/** What a layer builder knows: where it is (for messages), its name and its input shape. */
interface LayerCtx {
  where: string;
  name: string;
  input: number[];
  isLast: boolean;
}

const posInt = z.number().int().positive();
const pair = z
  .union([posInt, z.tuple([posInt, posInt])], {
    error: "must be a positive integer or a pair [h, w] of them",
  })
  .transform((v): [number, number] => (typeof v === "number" ? [v, v] : v));
const padding = z.enum(["same", "valid"], { error: 'must be "same" or "valid"' });
const channelsLast = z.literal("channels_last", {
  error: 'must be "channels_last" (channels_first is not supported)',
});
const activation = z.string({ error: "must be an activation name" }).nullish();
const f32 = z.literal("float32");
const dtypeError = 'must be "float32" (other dtypes and mixed precision are not supported)';
const dtype = z.union([f32, z.looseObject({ config: z.looseObject({ name: f32 }) })], {
  error: dtypeError,
});
const common = {
  name: z.string().min(1).max(200).optional(),
  trainable: z.literal(true, { error: "must be true (frozen layers are unsupported)" }).optional(),
  dtype: dtype.nullish(),
};

const denseSchema = z.looseObject({
  ...common,
  units: posInt,
  activation,
  use_bias: z.boolean().default(true),
  lora_rank: z.null({ error: "must be null (LoRA is not supported)" }).optional(),
});
const convSchema = z.looseObject({
  ...common,
  filters: posInt,
  kernel_size: pair,
  strides: pair.default([1, 1]),
  padding: padding.default("valid"),
  data_format: channelsLast.nullish(),
  dilation_rate: z
    .union([z.literal(1), z.tuple([z.literal(1), z.literal(1)])], {
      error: "must be 1 (dilated convolutions are not supported)",
    })
    .optional(),
  groups: z.literal(1, { error: "must be 1 (grouped convolutions are not supported)" }).optional(),
  activation,
  use_bias: z.boolean().default(true),
});
const poolSchema = z.looseObject({
  ...common,
  pool_size: pair.default([2, 2]),
  strides: pair.nullish(),
  padding: padding.default("valid"),
  data_format: channelsLast.nullish(),
});
const globalPoolSchema = z.looseObject({
  ...common,
  data_format: channelsLast.nullish(),
  keepdims: z.literal(false, { error: "must be false" }).optional(),
});
const flattenSchema = z.looseObject({ ...common, data_format: channelsLast.nullish() });
const targetDim = z
  .number()
  .int()
  .refine((v) => v > 0 || v === -1, "must be > 0 or -1");
const reshapeSchema = z.looseObject({
  ...common,
  target_shape: z.array(targetDim).min(1),
});
const activationSchema = z.looseObject({ ...common, activation: z.string() });
const shapeSchema = z.array(z.number().int().positive().nullable()).min(1);
const topSchema = z.looseObject({
  class_name: z.string(),
  config: z.looseObject({
    name: z.string().optional(),
    layers: z
      .array(z.looseObject({ class_name: z.string(), config: z.record(z.string(), z.unknown()) }))
      .min(1, "a model needs at least one layer")
      .max(MAX_LAYERS, `at most ${MAX_LAYERS} layers are supported`),
  }),
});

/** Parses with zod; the error names the offending field(s) after `where`. */
function parseWith<T extends z.ZodType>(schema: T, value: unknown, where: string): z.output<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const what = r.error.issues.slice(0, 3).map((i) => {
    const path = i.path.map(String).join(".");
    return `${path ? `${path}: ` : ""}${i.message}`;
  });
  throw new ModelTopologyError(`${where}: ${what.join("; ")}`);
}

const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
const show = (s: readonly (number | null)[]): string => `[${s.map(String).join(",")}]`;

function isRecord(v: unknown): v is Config {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new ModelTopologyError(
      `topology is not valid JSON (${(e as Error).message}); pass what model.toJSON() returns`,
    );
  }
}

/** Accepts the parsed toJSON object, its JSON string, or a model.json {modelTopology} wrapper. */
function unwrap(topology: unknown): unknown {
  let t = typeof topology === "string" ? parseJson(topology) : topology;
  if (isRecord(t) && !("class_name" in t) && "modelTopology" in t) {
    t = typeof t.modelTopology === "string" ? parseJson(t.modelTopology) : t.modelTopology;
  }
  return t;
}

function sequentialLayers(topology: unknown): z.output<typeof topSchema>["config"]["layers"] {
  const t = unwrap(topology);
  const cls = isRecord(t) ? t.class_name : undefined;
  if (typeof cls !== "string")
    throw new ModelTopologyError(
      'topology must be a Keras model JSON object with class_name "Sequential" (what model.toJSON() returns for a tf.sequential model)',
    );
  if (cls === "Model" || cls === "Functional")
    throw new ModelTopologyError(
      `functional models (class_name "${cls}", built with tf.model / keras.Model) are not supported: declare the model with tf.sequential()`,
    );
  if (cls !== "Sequential")
    throw new ModelTopologyError(`model class_name "${cls}" is not supported: only "Sequential"`);
  return parseWith(topSchema, t, "topology").config.layers;
}

/** Keras JSON uses snake_case; hand-written configs may use TF.js' camelCase argument names. */
function snakeKeys(cfg: Config): Config {
  const snake = (k: string): string => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  return Object.fromEntries(Object.entries(cfg).map(([k, v]) => [snake(k), v]));
}

function initializerName(v: unknown): string {
  if (!isRecord(v) || typeof v.class_name !== "string") return JSON.stringify(v);
  const c = isRecord(v.config) && Object.keys(v.config).length > 0 ? v.config : undefined;
  return `${v.class_name}${c ? JSON.stringify(c) : ""}`;
}

/**
 * Kernel initializer: Glorot only (seeds ignored: initial weights come from the run's seed,
 * identical on every worker). TF.js serialises it as VarianceScaling(scale 1, fan_avg).
 */
function checkKernelInitializer(v: unknown, where: string): void {
  // Keras' default is GlorotUniform, TF.js's GlorotNormal: both have variance 2 / (fanIn + fanOut);
  // FedLedger draws every kernel Glorot-uniform from the run's seed, so both are accepted.
  if (v === undefined || v === null) return;
  if (typeof v === "string" && /^glorot_?(uniform|normal)$/i.test(v)) return;
  if (isRecord(v) && (v.class_name === "GlorotUniform" || v.class_name === "GlorotNormal")) return;
  if (isRecord(v) && v.class_name === "VarianceScaling" && isRecord(v.config)) {
    const c = v.config;
    if (c.scale === 1 && c.mode === "fan_avg" && /uniform|normal/.test(String(c.distribution)))
      return;
  }
  throw new ModelTopologyError(
    `${where}: kernel_initializer ${initializerName(v)} is not supported; only Glorot (uniform or normal) is: initial weights are drawn Glorot-uniform from the run seed`,
  );
}

function checkBiasInitializer(v: unknown, where: string): void {
  if (v === undefined || v === null || v === "zeros") return;
  if (isRecord(v) && v.class_name === "Zeros") return;
  throw new ModelTopologyError(
    `${where}: bias_initializer ${initializerName(v)} is not supported; only Zeros is`,
  );
}

function checkNoRegularizers(cfg: Config, where: string): void {
  for (const [k, v] of Object.entries(cfg)) {
    if ((k.endsWith("_regularizer") || k.endsWith("_constraint")) && v !== null && v !== undefined)
      throw new ModelTopologyError(
        `${where}: ${k} must be null (regularizers and constraints are not supported)`,
      );
  }
}

function checkActivation(a: string | null | undefined, ctx: LayerCtx): Activation {
  const act = a ?? "linear";
  if (!(ACTIVATIONS as readonly string[]).includes(act))
    throw new ModelTopologyError(
      `${ctx.where}: activation "${act}" is not supported; allowed: ${ACTIVATIONS.join(", ")}`,
    );
  if (act === "softmax" && !ctx.isLast)
    throw new ModelTopologyError(
      `${ctx.where}: softmax is only allowed as the activation of the last layer (it is then treated as logits)`,
    );
  return act as Activation;
}

/** Applies an activation; a (final) softmax is the identity because the loss takes logits. */
function activate(h: tf.Tensor, act: Activation): tf.Tensor {
  if (act === "relu") return tf.relu(h);
  if (act === "sigmoid") return tf.sigmoid(h);
  if (act === "tanh") return tf.tanh(h);
  return h;
}

const actLabel = (a: Activation): string => (a === "softmax" ? "softmax (as logits)" : a);

function needImage(ctx: LayerCtx, cls: string): [number, number, number] {
  const [h, w, c] = ctx.input;
  if (ctx.input.length !== 3 || h === undefined || w === undefined || c === undefined)
    throw new ModelTopologyError(
      `${ctx.where}: ${cls} needs rank-3 input [height, width, channels] but gets ${show(ctx.input)}${ctx.input.length === 1 ? " (tabular features: use Dense layers, or Reshape first)" : ""}`,
    );
  return [h, w, c];
}

/** Output size of a window of size k with stride s over n values (TF "same"/"valid" rules). */
function windowOut(n: number, k: number, s: number, pad: "same" | "valid", ctx: LayerCtx): number {
  if (pad === "same") return Math.ceil(n / s);
  if (k > n)
    throw new ModelTopologyError(
      `${ctx.where}: window ${k} is larger than the input size ${n} with padding "valid" (use "same" or a smaller window)`,
    );
  return Math.floor((n - k) / s) + 1;
}

/** Kernel (Glorot) then, if used, bias (zeros): Keras' getWeights() order for the layer. */
function weightSpecs(name: string, kernel: number[], fans: number[], bias: boolean): ParamSpec[] {
  const [fanIn = 0, fanOut = 0] = fans;
  const k: ParamSpec = { name: `${name}.kernel`, shape: kernel, init: "glorot", fanIn, fanOut };
  if (!bias) return [k];
  const units = kernel[kernel.length - 1]!;
  return [k, { name: `${name}.bias`, shape: [units], init: "zeros", fanIn, fanOut }];
}

function buildDense(raw: Config, ctx: LayerCtx): BuiltLayer {
  const cfg = parseWith(denseSchema, raw, ctx.where);
  checkKernelInitializer(raw.kernel_initializer, ctx.where);
  if (cfg.use_bias) checkBiasInitializer(raw.bias_initializer, ctx.where);
  const act = checkActivation(cfg.activation, ctx);
  const inF = ctx.input[ctx.input.length - 1]!;
  const out = [...ctx.input.slice(0, -1), cfg.units];
  const fused = act === "relu" ? "relu" : "linear";
  const apply = (h: tf.Tensor, w: readonly tf.Tensor[]): tf.Tensor => {
    const a = (h.rank === 2 ? h : h.reshape([-1, inF])) as tf.Tensor2D;
    const y = tf.fused.matMul({ a, b: w[0] as tf.Tensor2D, bias: w[1], activation: fused });
    const shaped = h.rank === 2 ? y : y.reshape([h.shape[0]!, ...out]);
    return act === "relu" ? shaped : activate(shaped, act);
  };
  const params = weightSpecs(ctx.name, [inF, cfg.units], [inF, cfg.units], cfg.use_bias);
  const line = `Dense ${cfg.units} ${actLabel(act)}${cfg.use_bias ? "" : " no-bias"}`;
  return { apply, params, out, line };
}

function buildConv(raw: Config, ctx: LayerCtx): BuiltLayer {
  const [h, w, c] = needImage(ctx, "Conv2D");
  const cfg = parseWith(convSchema, raw, ctx.where);
  checkKernelInitializer(raw.kernel_initializer, ctx.where);
  if (cfg.use_bias) checkBiasInitializer(raw.bias_initializer, ctx.where);
  const act = checkActivation(cfg.activation, ctx);
  const [kh, kw] = cfg.kernel_size;
  const [sh, sw] = cfg.strides;
  const oh = windowOut(h, kh, sh, cfg.padding, ctx);
  const out = [oh, windowOut(w, kw, sw, cfg.padding, ctx), cfg.filters];
  const fused: tf.fused.Activation = act === "relu" ? "relu" : "linear";
  const how = { strides: [sh, sw] as [number, number], pad: cfg.padding, activation: fused };
  const apply = (x: tf.Tensor, p: readonly tf.Tensor[]): tf.Tensor => {
    const [filter, bias] = p as [tf.Tensor4D, tf.Tensor?];
    const y = tf.fused.conv2d({ ...how, x: x as tf.Tensor4D, filter, bias });
    return act === "relu" ? y : activate(y, act);
  };
  const kernel = [kh, kw, c, cfg.filters];
  const fans = [kh * kw * c, kh * kw * cfg.filters];
  const params = weightSpecs(ctx.name, kernel, fans, cfg.use_bias);
  const stride = sh === 1 && sw === 1 ? "" : ` stride ${sh}x${sw}`;
  const line = `Conv2D ${kh}x${kw}x${cfg.filters}${stride} ${cfg.padding} ${actLabel(act)}${cfg.use_bias ? "" : " no-bias"}`;
  return { apply, params, out, line };
}

function buildPool(raw: Config, ctx: LayerCtx, kind: "max" | "avg"): BuiltLayer {
  const cls = kind === "max" ? "MaxPooling2D" : "AveragePooling2D";
  const [h, w, c] = needImage(ctx, cls);
  const cfg = parseWith(poolSchema, raw, ctx.where);
  const [ph, pw] = cfg.pool_size;
  const [sh, sw] = cfg.strides ?? cfg.pool_size; // Keras: strides default to pool_size
  const out = [windowOut(h, ph, sh, cfg.padding, ctx), windowOut(w, pw, sw, cfg.padding, ctx), c];
  const apply = (x: tf.Tensor): tf.Tensor =>
    kind === "max"
      ? tf.maxPool(x as tf.Tensor4D, [ph, pw], [sh, sw], cfg.padding)
      : tf.avgPool(x as tf.Tensor4D, [ph, pw], [sh, sw], cfg.padding);
  const stride = sh === ph && sw === pw ? "" : ` stride ${sh}x${sw}`;
  return shapeOp(out, `${cls} ${ph}x${pw}${stride} ${cfg.padding}`, apply);
}

/** A layer without parameters. */
function shapeOp(out: number[], line: string, apply: (x: tf.Tensor) => tf.Tensor): BuiltLayer {
  return { apply, params: [], out, line };
}

function buildReshape(raw: Config, ctx: LayerCtx): BuiltLayer {
  const cfg = parseWith(reshapeSchema, raw, ctx.where);
  const size = prod(ctx.input);
  const unknown = cfg.target_shape.filter((d) => d === -1).length;
  const known = prod(cfg.target_shape.filter((d) => d !== -1));
  if (unknown > 1 || (unknown === 1 && size % known !== 0) || (unknown === 0 && known !== size))
    throw new ModelTopologyError(
      `${ctx.where}: target_shape ${show(cfg.target_shape)} does not fit the input ${show(ctx.input)} (${size} values; at most one -1)`,
    );
  const out = cfg.target_shape.map((d) => (d === -1 ? size / known : d));
  const apply = (x: tf.Tensor): tf.Tensor => x.reshape([x.shape[0]!, ...out]);
  return shapeOp(out, "Reshape", apply);
}

function buildShapeOnly(cls: string, raw: Config, ctx: LayerCtx): BuiltLayer {
  if (cls === "Flatten") {
    parseWith(flattenSchema, raw, ctx.where);
    const out = [prod(ctx.input)];
    const apply = (x: tf.Tensor): tf.Tensor => x.reshape([x.shape[0]!, out[0]!]);
    return shapeOp(out, "Flatten", apply);
  }
  if (cls === "GlobalAveragePooling2D") {
    const [, , c] = needImage(ctx, cls);
    parseWith(globalPoolSchema, raw, ctx.where);
    const apply = (x: tf.Tensor): tf.Tensor => tf.mean(x, [1, 2]);
    return shapeOp([c], cls, apply);
  }
  if (cls === "Activation") {
    const act = checkActivation(parseWith(activationSchema, raw, ctx.where).activation, ctx);
    const apply = (x: tf.Tensor): tf.Tensor => activate(x, act);
    return shapeOp(ctx.input, `Activation ${actLabel(act)}`, apply);
  }
  if (cls === "Reshape") return buildReshape(raw, ctx);
  // InputLayer: its shape was checked against the run's input shape already.
  return shapeOp(ctx.input, "InputLayer", (x) => x);
}

function buildLayer(cls: string, raw: Config, ctx: LayerCtx): BuiltLayer {
  checkNoRegularizers(raw, ctx.where);
  if (cls === "Dense") return buildDense(raw, ctx);
  if (cls === "Conv2D") return buildConv(raw, ctx);
  if (cls === "MaxPooling2D") return buildPool(raw, ctx, "max");
  if (cls === "AveragePooling2D") return buildPool(raw, ctx, "avg");
  return buildShapeOnly(cls, raw, ctx);
}

/** The first layer's declared batch shape (if any) must be [null, ...inputShape]. */
function checkDeclaredShape(raw: Config, where: string, inputShape: readonly number[]): void {
  const key = ["batch_input_shape", "batch_shape", "input_shape"].find((k) => raw[k] != null);
  if (key === undefined) return;
  const declared = parseWith(shapeSchema, raw[key], `${where}: ${key}`);
  const full = key === "input_shape" ? [null, ...declared] : declared;
  const ok =
    full.length === inputShape.length + 1 &&
    full[0] === null &&
    inputShape.every((d, i) => full[i + 1] === d);
  if (!ok)
    throw new ModelTopologyError(
      `${where} declares ${key} ${show(declared)} but the run's data has shape ${show([null, ...inputShape])} (inputShape ${show(inputShape)}); change the model's inputShape or the run's data`,
    );
}

function checkArguments(inputShape: readonly number[], numClasses: number, max: number): void {
  parseWith(z.array(posInt).min(1), inputShape, "inputShape");
  parseWith(posInt, numClasses, "numClasses");
  parseWith(posInt, max, "maxParameters");
}

function refuseClass(where: string, cls: string): never {
  const why =
    cls === "Dropout" || cls === "BatchNormalization"
      ? ` (${cls} behaves differently in training and inference; remove it)`
      : "";
  throw new ModelTopologyError(
    `${where}: layer class ${cls} is not supported${why}; allowed: ${LAYERS_ALLOW_LIST.join(", ")}`,
  );
}

/** Interprets every layer in order, inferring shapes and collecting parameter specs. */
function buildAll(
  layers: readonly { class_name: string; config: Config }[],
  inputShape: readonly number[],
  maxParameters: number,
): { built: BuiltLayer[]; count: number } {
  const built: BuiltLayer[] = [];
  const names = new Set<string>();
  let shape = [...inputShape];
  let count = 0;
  layers.forEach((layer, i) => {
    const raw = snakeKeys(layer.config);
    const cls = layer.class_name;
    const rawName = typeof raw.name === "string" ? raw.name : undefined;
    const where = `layer ${i} (${cls}${rawName ? ` "${rawName}"` : ""})`;
    if (!LAYERS_ALLOW_LIST.includes(cls)) refuseClass(where, cls);
    if (cls === "InputLayer" && i !== 0)
      throw new ModelTopologyError(`${where}: InputLayer is only allowed as the first layer`);
    if (i === 0) checkDeclaredShape(raw, where, inputShape);
    const name = rawName ?? `${cls.toLowerCase()}_${i + 1}`;
    if (names.has(name))
      throw new ModelTopologyError(
        `${where}: layer name "${name}" is used twice; names must be unique`,
      );
    names.add(name);
    const b = buildLayer(cls, raw, { where, name, input: shape, isLast: i === layers.length - 1 });
    count += b.params.reduce((s, p) => s + prod(p.shape), 0);
    if (count > maxParameters)
      throw new ModelTopologyError(
        `${where}: the model has at least ${count.toLocaleString("en-US")} parameters, more than the limit of ${maxParameters.toLocaleString("en-US")}; use fewer units/filters or pool earlier`,
      );
    if (prod(b.out) > MAX_ACTIVATION_SIZE)
      throw new ModelTopologyError(
        `${where}: its output ${show(b.out)} has ${prod(b.out)} values per sample, more than the limit of ${MAX_ACTIVATION_SIZE}`,
      );
    built.push(b);
    shape = b.out;
  });
  return { built, count };
}

/**
 * Builds a Sequential TF.js/Keras Layers topology for data of shape `inputShape` with
 * `numClasses` classes. Throws ModelTopologyError (message fit for the user) when refused.
 */
export function buildLayersTopology(
  topology: unknown,
  inputShape: readonly number[],
  numClasses: number,
  opts?: { maxParameters?: number },
): LayersTopologyModel {
  const maxParameters = opts?.maxParameters ?? DEFAULT_MAX_PARAMETERS;
  checkArguments(inputShape, numClasses, maxParameters);
  const layers = sequentialLayers(topology);
  const { built, count } = buildAll(layers, inputShape, maxParameters);
  const out = built[built.length - 1]!.out;
  if (out.length !== 1 || out[0] !== numClasses)
    throw new ModelTopologyError(
      `the last layer outputs ${show(out)} per sample but the run has ${numClasses} classes: it must output [${numClasses}] (e.g. end with Dense ${numClasses}${out.length > 1 ? " after Flatten" : ""})`,
    );
  if (count === 0)
    throw new ModelTopologyError("the model has no trainable parameters (add a Dense or Conv2D)");
  const params = built.flatMap((b) => b.params);
  const shape = [...inputShape];
  const size = prod(shape);
  const forward = (p: readonly tf.Tensor[], x: tf.Tensor): tf.Tensor2D => {
    if (p.length !== params.length)
      throw new RangeError(`model has ${params.length} parameter tensors, got ${p.length}`);
    const batch = x.shape[0] ?? 0;
    const rest = x.shape.slice(1);
    const flat = rest.length === 1 && rest[0] === size;
    if (!flat && (rest.length !== shape.length || rest.some((d, i) => d !== shape[i])))
      throw new RangeError(
        `x must have shape [B,${shape.join(",")}] or [B,${size}], got ${show(x.shape)}`,
      );
    let h: tf.Tensor = x.reshape([batch, ...shape]);
    let k = 0;
    for (const b of built) {
      h = b.apply(h, p.slice(k, k + b.params.length));
      k += b.params.length;
    }
    return h as tf.Tensor2D;
  };
  const lines = built.map((b) => `${b.line} -> ${show(b.out)}`);
  return { params, forward, layers: lines, parameterCount: count };
}
