// A run on the user's own data and model: the `data` block of a run request (an image folder or a
// CSV/TSV table, with where the coordinator's validation and test data come from) and what the
// coordinator resolves from the files when the run is created (class list, input shape, the
// table's features with their standardisation), stored with the run so every node and auditor
// applies the same encoding. Paths are relative to the coordinator's data root (FEDLEDGER_DATA_ROOT).
import { z } from "zod";

/** A file or folder under the coordinator's data root: relative, no "..", no NUL. */
export const DataPath = z
  .string()
  .min(1)
  .max(500)
  .refine((p) => !p.includes("\0"), "a path may not contain NUL")
  .refine(
    (p) => !p.startsWith("/") && !p.split(/[\\/]/).includes(".."),
    "paths are relative to the coordinator's data root (FEDLEDGER_DATA_ROOT) and may not contain ..",
  );

export const OwnImageSpec = z
  .object({
    height: z.number().int().min(4).max(512),
    width: z.number().int().min(4).max(512),
    channels: z.union([z.literal(1), z.literal(3)]),
    /** Resize images of another size (bilinear); false: an image of another size is an error. */
    resize: z.boolean().default(true),
  })
  .strict();

export const OwnCsvOptions = z
  .object({
    /** The column holding each row's class. */
    label: z.string().trim().min(1).max(200),
    /** Columns one-hot encoded (their values as seen in the coordinator's data); others numeric. */
    categorical: z.array(z.string().trim().min(1).max(200)).max(1000).default([]),
    /** Columns dropped (ids, free text). */
    ignore: z.array(z.string().trim().min(1).max(200)).max(1000).default([]),
    /** Default: tab for .tsv files, comma otherwise. */
    delimiter: z.enum([",", "\t"]).optional(),
  })
  .strict();

const ClassName = z.string().min(1).max(100);

export const CsvFeatureSpec = z.discriminatedUnion("kind", [
  z
    .object({
      name: z.string(),
      kind: z.literal("numeric"),
      mean: z.number(),
      std: z.number().gt(0),
    })
    .strict(),
  z
    .object({
      name: z.string(),
      kind: z.literal("categorical"),
      categories: z.array(z.string()).min(1).max(1000),
    })
    .strict(),
]);

/** A table's resolved encoding: numerics standardised with these means and stds, categoricals one-hot. */
export const CsvSchemaSpec = z
  .object({
    label: z.string(),
    classes: z.array(ClassName).min(2).max(255),
    features: z.array(CsvFeatureSpec).min(1).max(10_000),
    delimiter: z.enum([",", "\t"]),
    ignore: z.array(z.string()).optional(),
  })
  .strict();

/** What the coordinator read from the files when the run was created. */
export const ResolvedOwnData = z
  .object({
    inputShape: z.array(z.number().int().min(1)).min(1).max(3),
    classNames: z.array(ClassName).min(2).max(255),
    csv: CsvSchemaSpec.optional(),
    /** Samples in the coordinator's parts (train is 0 for a remote run without one). */
    samples: z
      .object({
        train: z.number().int().min(0),
        validation: z.number().int().min(1),
        test: z.number().int().min(1),
      })
      .strict(),
  })
  .strict();
export type ResolvedOwnData = z.output<typeof ResolvedOwnData>;

export const OwnData = z
  .object({
    /** A name for the dashboard, the CLI and the chain's run spec. */
    name: z
      .string()
      .regex(
        /^[a-z0-9][a-z0-9._-]{0,59}$/,
        "1-60 characters of a-z 0-9 . _ -, starting with a letter or digit",
      ),
    format: z.enum(["image-folder", "csv"]),
    /** The coordinator's training data (simulated runs partition it across nodes). */
    train: DataPath.optional(),
    /** The coordinator's validation data (contributions are scored on it), never a node's. */
    validation: DataPath.optional(),
    /** The coordinator's test data (accuracy is reported on it). */
    test: DataPath.optional(),
    /** Without validation and test files: fractions of `train` held out for them (fixed shuffle). */
    holdout: z
      .object({ validation: z.number().gt(0).max(0.5), test: z.number().gt(0).max(0.5) })
      .strict()
      .optional(),
    image: OwnImageSpec.optional(),
    csv: OwnCsvOptions.optional(),
    /** The classes in label order; default: what the data has, sorted. Must cover every label seen. */
    classes: z.array(ClassName).min(2).max(255).optional(),
    /** Filled in by the coordinator; a request that carries it must match the files now. */
    resolved: ResolvedOwnData.optional(),
  })
  .strict()
  .superRefine((d, ctx) => {
    const issue = (path: string[], message: string) =>
      ctx.addIssue({ code: "custom", path, message });
    if (d.format === "image-folder" && !d.image)
      issue(["image"], "an image-folder dataset needs image: {height, width, channels}");
    if (d.format === "csv" && !d.csv) issue(["csv"], "a csv dataset needs csv: {label}");
    if (d.format === "image-folder" && d.csv)
      issue(["csv"], "csv options on an image-folder dataset");
    if (d.format === "csv" && d.image) issue(["image"], "image options on a csv dataset");
    const files = d.validation !== undefined && d.test !== undefined;
    if (!files && !(d.holdout && d.train))
      issue(
        ["validation"],
        "declare the coordinator's validation and test data: validation and test paths, or train with holdout fractions",
      );
    if (files && d.holdout)
      issue(["holdout"], "holdout is for a dataset without validation and test paths");
  });
export type OwnData = z.output<typeof OwnData>;

/** The `model` of a run: a built-in architecture or "layers" (with `modelTopology`). */
export const LAYERS_MODEL = "layers";

/** The resolved spec every party loads an own dataset with (engine/datasets/own-data.ts). */
export const OwnDataSpecSchema = z
  .object({
    name: z.string().max(60),
    format: z.enum(["image-folder", "csv"]),
    inputShape: z.array(z.number().int().min(1)).min(1).max(3),
    classNames: z.array(ClassName).min(2).max(255),
    image: OwnImageSpec.required().optional(),
    csv: CsvSchemaSpec.optional(),
  })
  .strict();
export type OwnDataSpecSchema = z.output<typeof OwnDataSpecSchema>;

/** An own dataset's resolved spec (after the coordinator resolved it at creation). */
export function ownDataSpecOf(d: OwnData): OwnDataSpecSchema {
  const r = d.resolved;
  if (!r) throw new Error(`own data "${d.name}" has not been resolved against its files yet`);
  return {
    name: d.name,
    format: d.format,
    inputShape: r.inputShape,
    classNames: r.classNames,
    ...(d.image ? { image: d.image } : {}),
    ...(r.csv ? { csv: r.csv } : {}),
  };
}
