// What a run's config means to the engine: the model reference (built-in or declared topology,
// sized for the run's data) and how to name the data. Pure: the dashboard and the CLI use it too.
import { z } from "zod";
import { DATASETS } from "../engine/datasets/catalogue.js";
import { MODEL_IDS } from "../engine/models/catalogue.js";
import type { ModelRef } from "../engine/models/model-ref.js";
import { ModelKind, type RunConfig } from "./run-config.js";

type ModelFields = Pick<RunConfig, "dataset" | "data" | "model" | "modelTopology">;

/** The data's input shape and class names (an own dataset's as resolved at creation). */
export function runDataShape(c: Pick<RunConfig, "dataset" | "data">): {
  inputShape: readonly number[];
  classNames: readonly string[];
} {
  if (c.dataset === "own") {
    const r = c.data?.resolved;
    if (!r) throw new Error("the run's own data has not been resolved against its files yet");
    return { inputShape: r.inputShape, classNames: r.classNames };
  }
  const d = DATASETS.find((x) => x.id === c.dataset)!;
  return { inputShape: d.inputShape, classNames: d.classNames };
}

/**
 * The model a run trains. A built-in on a packaged dataset stays its name (MNIST-shaped, the
 * SIMD kernels' case); anything else is sized for the run's data.
 */
export function runModelRef(c: ModelFields): ModelRef {
  if (c.dataset !== "own" && c.model !== "layers") return c.model;
  const { inputShape, classNames } = runDataShape(c);
  const numClasses = classNames.length;
  if (c.model === "layers")
    return { kind: "layers", inputShape, numClasses, topology: c.modelTopology };
  return { kind: c.model, inputShape, numClasses };
}

/** The dataset's name for people: a packaged id, or "own:<name>". */
export function runDatasetLabel(c: Pick<RunConfig, "dataset" | "data">): string {
  return c.dataset === "own" ? `own:${c.data?.name ?? "?"}` : c.dataset;
}

/** A model reference on the wire (agent tasks): a built-in name, or a model sized for the data. */
export const ModelRefSchema = z.union([
  ModelKind,
  z
    .object({
      kind: z.enum([...MODEL_IDS, "layers"]),
      inputShape: z.array(z.number().int().min(1)).min(1).max(3),
      numClasses: z.number().int().min(2).max(255),
      topology: z.unknown().optional(),
    })
    .strict()
    .transform((m): ModelRef =>
      m.kind === "layers"
        ? {
            kind: "layers",
            inputShape: m.inputShape,
            numClasses: m.numClasses,
            topology: m.topology,
          }
        : { kind: m.kind, inputShape: m.inputShape, numClasses: m.numClasses },
    ),
]);
