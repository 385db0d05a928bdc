// Resolving a run's declared own dataset against the coordinator's files, once, when the run is
// created: the class list (declared, or what the data has, sorted), the input shape, and for a
// table its features with their standardisation, learnt in one streamed pass over the
// coordinator's training table (or its validation table when it has none). Every part is then
// loaded once with that spec, so bad data is refused before the run exists.
import { csvFeatureWidth, inferCsvSchema, type CsvSchema } from "./csv-table.js";
import { DataSourceError } from "./data-source-error.js";
import { scanImageFolder } from "./image-folder.js";
import {
  loadOwnDataset,
  type OwnDataFiles,
  type OwnDataSpec,
  type OwnImageSpec,
} from "./own-data.js";

/** A run's own-data block as declared (domain/own-data.ts OwnData, minus paths). */
export interface OwnDataDeclaration {
  name: string;
  format: "image-folder" | "csv";
  image?: OwnImageSpec;
  csv?: {
    label: string;
    categorical?: readonly string[];
    ignore?: readonly string[];
    delimiter?: "," | "\t";
  };
  classes?: readonly string[];
}

export interface ResolvedOwnDataset {
  spec: OwnDataSpec;
  samples: { train: number; validation: number; test: number };
}

/** The declared class order, which must name every class the data has. */
function classOrder(found: readonly string[], declared: readonly string[] | undefined): string[] {
  if (!declared) return [...found];
  const missing = found.filter((c) => !declared.includes(c));
  if (missing.length)
    throw new DataSourceError(
      `the data has classes the run does not declare: ${missing.map((c) => `"${c}"`).join(", ")} (declared: ${declared.join(", ")})`,
    );
  if (new Set(declared).size !== declared.length)
    throw new DataSourceError("the declared classes repeat a name");
  return [...declared];
}

async function resolveImages(decl: OwnDataDeclaration, files: OwnDataFiles): Promise<OwnDataSpec> {
  const image = decl.image;
  if (!image)
    throw new DataSourceError("an image-folder dataset needs its image size and channels");
  const found = new Set<string>();
  for (const dir of [files.train, files.validation, files.test]) {
    if (dir) for (const c of (await scanImageFolder(dir)).classNames) found.add(c);
  }
  const classNames = classOrder([...found].sort(), decl.classes);
  if (classNames.length < 2)
    throw new DataSourceError(
      `a classifier needs at least 2 classes, the data has ${classNames.length}`,
    );
  return {
    name: decl.name,
    format: "image-folder",
    inputShape: [image.height, image.width, image.channels],
    classNames,
    image,
  };
}

async function resolveTable(decl: OwnDataDeclaration, files: OwnDataFiles): Promise<OwnDataSpec> {
  const opts = decl.csv;
  if (!opts) throw new DataSourceError("a csv dataset needs its label column");
  const source = files.train ?? files.validation;
  if (!source) throw new DataSourceError("a csv dataset needs a train or validation table");
  const inferred: CsvSchema = await inferCsvSchema(source, {
    label: opts.label,
    ...(opts.categorical ? { categorical: opts.categorical } : {}),
    ...(opts.ignore ? { ignore: opts.ignore } : {}),
    ...(opts.delimiter ? { delimiter: opts.delimiter } : {}),
  });
  const classes = classOrder(inferred.classes, decl.classes);
  if (classes.length < 2)
    throw new DataSourceError(
      `a classifier needs at least 2 classes, the table has ${classes.length}`,
    );
  const csv: CsvSchema = { ...inferred, classes };
  return {
    name: decl.name,
    format: "csv",
    inputShape: [csvFeatureWidth(csv)],
    classNames: classes,
    csv,
  };
}

/** Resolves and loads a declared dataset with the coordinator's files (absolute paths). */
export async function resolveOwnData(
  decl: OwnDataDeclaration,
  files: OwnDataFiles,
): Promise<ResolvedOwnDataset> {
  const spec =
    decl.format === "image-folder"
      ? await resolveImages(decl, files)
      : await resolveTable(decl, files);
  const d = await loadOwnDataset(spec, files);
  if (d.validation.n === 0) throw new DataSourceError("the validation data has no samples");
  if (d.test.n === 0) throw new DataSourceError("the test data has no samples");
  return { spec, samples: { train: d.train.n, validation: d.validation.n, test: d.test.n } };
}
