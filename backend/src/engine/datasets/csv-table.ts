// A user's own tabular dataset: a CSV/TSV file with a header row, one label column, numeric and
// categorical feature columns, and optionally ignored columns (ids). Pure engine module. Both
// passes stream the file through csv-parse (never reading it whole): `inferCsvSchema` learns the
// classes, numeric means/stds and category lists; `loadCsv` applies a schema (standardised
// numerics, one-hot categoricals, label → class index) into float arrays sized by a line count.
// Every problem with the data throws a DataSourceError naming file, row and column.
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import path from "node:path";
import { CsvError, parse } from "csv-parse";
import { DataSourceError } from "./data-source-error.js";
import type { Split } from "./split.js";
import { countLines, GrowingSplit } from "./split-builder.js";

export type CsvFeature =
  | { name: string; kind: "numeric"; mean: number; std: number }
  | { name: string; kind: "categorical"; categories: string[] };

export interface CsvSchema {
  label: string;
  /** Class names in label order (class index = position). */
  classes: string[];
  /** Feature columns in encoding order. */
  features: CsvFeature[];
  delimiter: "," | "\t";
  /** Columns present in the table but not used (ids); `loadCsv` skips them too. */
  ignore?: string[];
}

export interface CsvSchemaOptions {
  label: string;
  /** Columns to treat as categorical; the others must be numeric. */
  categorical?: readonly string[];
  /** Columns to drop (ids). */
  ignore?: readonly string[];
  /** Default: "\t" for .tsv files, else ",". */
  delimiter?: "," | "\t";
}

/** Labels are stored in a Uint8Array. */
export const MAX_CSV_CLASSES = 255;
/** More distinct values than this in a categorical column is almost surely an id column. */
export const MAX_CATEGORIES = 10_000;
/** Longest accepted line (guards memory against a file without line breaks). */
const MAX_RECORD_BYTES = 8 << 20;
const READ_CHUNK_BYTES = 1 << 20;

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A cell quoted for a message, shortened. */
function shown(cell: string): string {
  return JSON.stringify(cell.length > 40 ? `${cell.slice(0, 40)}…` : cell);
}

function list(names: readonly string[]): string {
  return names.length === 0 ? "none" : names.map((n) => `"${n}"`).join(", ");
}

/** The number in a cell, or NaN when it is empty or not a finite number. */
function parseNumber(cell: string): number {
  const v = Number(cell);
  if (!Number.isFinite(v) || (v === 0 && cell.trim() === "")) return NaN;
  return v;
}

function numberError(file: string, row: number, column: string, cell: string, hint: string) {
  const found = cell.trim() === "" ? "an empty cell" : shown(cell);
  return new DataSourceError(
    `${file}: row ${row}, column "${column}": expected a number, found ${found}${hint}`,
    { file, row, column },
  );
}

/** Numeric-looking values sort by value, others by code unit (locale-independent). */
function sortValues(values: Iterable<string>): string[] {
  const out = [...values];
  const numeric = out.every((v) => !Number.isNaN(parseNumber(v)));
  return out.sort((a, b) => {
    if (numeric) {
      const d = Number(a) - Number(b);
      if (d !== 0) return d;
    }
    return a < b ? -1 : a > b ? 1 : 0;
  });
}

async function checkFile(file: string): Promise<void> {
  let st;
  try {
    st = await stat(file);
  } catch {
    throw new DataSourceError(`Table file ${file} does not exist`, { file });
  }
  if (!st.isFile()) throw new DataSourceError(`${file} is not a file`, { file });
}

function csvErrorMessage(file: string, err: CsvError): string {
  const lines = (err as unknown as { lines?: unknown }).lines;
  const where = typeof lines === "number" ? ` near line ${lines}` : "";
  if (err.code === "CSV_MAX_RECORD_SIZE") {
    return `${file}${where}: a line is longer than ${MAX_RECORD_BYTES >> 20} MiB; is this a CSV/TSV file?`;
  }
  return `${file}${where}: not valid CSV/TSV: ${err.message}`;
}

function readError(file: string, err: unknown): DataSourceError {
  if (err instanceof DataSourceError) return err;
  if (err instanceof CsvError) return new DataSourceError(csvErrorMessage(file, err), { file });
  return new DataSourceError(`Cannot read ${file}: ${describe(err)}`, { file });
}

/**
 * Streams the file's records (header first; blank lines skipped) through `onRecord`, which runs
 * synchronously per record (much faster than an async iterator per record); an error it throws
 * stops the stream and rejects. Memory stays bounded by the read chunk and parser buffers.
 */
async function streamRecords(
  file: string,
  delimiter: "," | "\t",
  onRecord: (record: string[]) => void,
): Promise<void> {
  await checkFile(file);
  return new Promise<void>((resolve, reject) => {
    const input = createReadStream(file, { highWaterMark: READ_CHUNK_BYTES });
    const parser = parse({
      delimiter,
      bom: true,
      relax_column_count: true,
      skip_empty_lines: true,
      max_record_size: MAX_RECORD_BYTES,
    });
    let done = false;
    const fail = (err: unknown): void => {
      if (done) return;
      done = true;
      input.destroy();
      parser.destroy();
      reject(readError(file, err));
    };
    input.on("error", fail);
    parser.on("error", fail);
    parser.on("data", (record: string[]) => {
      if (done) return;
      try {
        onRecord(record);
      } catch (err) {
        fail(err);
      }
    });
    parser.on("end", () => {
      if (done) return;
      done = true;
      resolve();
    });
    input.pipe(parser);
  });
}

function readHeader(file: string, record: string[]): string[] {
  const names = record.map((s) => s.trim());
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) {
    throw new DataSourceError(`${file}: the header names column "${dup}" twice`, {
      file,
      column: dup,
    });
  }
  return names;
}

function emptyFileError(file: string): DataSourceError {
  return new DataSourceError(
    `${file} is empty: expected a header row of column names, then one row per sample`,
    { file },
  );
}

function noRowsError(file: string): DataSourceError {
  return new DataSourceError(`${file} has a header but no data rows`, { file });
}

function checkCellCount(file: string, row: number, record: string[], header: string[]): void {
  if (record.length !== header.length) {
    throw new DataSourceError(
      `${file}: row ${row} has ${record.length} cells but the header has ${header.length} ` +
        `columns`,
      { file, row },
    );
  }
}

function labelCell(file: string, row: number, column: string, cell: string): string {
  const v = cell.trim();
  if (v === "") {
    throw new DataSourceError(`${file}: row ${row}: the label column "${column}" is empty`, {
      file,
      row,
      column,
    });
  }
  return v;
}

function tooManyClasses(file: string, label: string, count: number, row?: number) {
  const found = row === undefined ? `${count}` : `more than ${MAX_CSV_CLASSES} (by row ${row})`;
  return new DataSourceError(
    `${file}: the label column "${label}" has ${found} distinct values; at most ` +
      `${MAX_CSV_CLASSES} classes are supported (is "${label}" the right label column?)`,
    row === undefined ? { file, column: label } : { file, row, column: label },
  );
}

// ---- inferCsvSchema ----------------------------------------------------------------------

type InferColumn =
  | { kind: "label"; name: string; values: Set<string> }
  | { kind: "ignore" }
  | { kind: "numeric"; name: string; n: number; mean: number; m2: number }
  | { kind: "categorical"; name: string; values: Set<string> };

function inferColumns(file: string, header: string[], opts: CsvSchemaOptions): InferColumn[] {
  const categorical = opts.categorical ?? [];
  const ignore = opts.ignore ?? [];
  const absent = [opts.label, ...categorical, ...ignore].filter((c) => !header.includes(c));
  if (absent.length > 0) {
    throw new DataSourceError(
      `${file}: column(s) ${list(absent)} named in the options are not in the header ` +
        `(columns: ${list(header)})`,
      { file },
    );
  }
  if (categorical.includes(opts.label) || ignore.includes(opts.label)) {
    throw new DataSourceError(
      `${file}: the label column "${opts.label}" cannot also be categorical or ignored`,
      { file, column: opts.label },
    );
  }
  const both = categorical.filter((c) => ignore.includes(c));
  if (both.length > 0) {
    throw new DataSourceError(`${file}: ${list(both)} both categorical and ignored`, { file });
  }
  if (header.length - 1 - ignore.length <= 0) {
    throw new DataSourceError(`${file}: no feature columns besides the label`, { file });
  }
  return header.map((name): InferColumn => {
    if (name === opts.label) return { kind: "label", name, values: new Set() };
    if (ignore.includes(name)) return { kind: "ignore" };
    if (categorical.includes(name)) return { kind: "categorical", name, values: new Set() };
    return { kind: "numeric", name, n: 0, mean: 0, m2: 0 };
  });
}

function inferRow(file: string, row: number, record: string[], cols: InferColumn[]): void {
  for (let i = 0; i < cols.length; i++) {
    const col = cols[i]!;
    const cell = record[i]!;
    if (col.kind === "numeric") {
      const v = parseNumber(cell);
      if (Number.isNaN(v)) {
        const hint = `; if "${col.name}" holds categories, list it in \`categorical\` (or in \`ignore\`)`;
        throw numberError(file, row, col.name, cell, hint);
      }
      // Welford's running mean and sum of squared deviations.
      col.n++;
      const delta = v - col.mean;
      col.mean += delta / col.n;
      col.m2 += delta * (v - col.mean);
    } else if (col.kind === "categorical") {
      col.values.add(cell.trim());
      if (col.values.size > MAX_CATEGORIES) {
        throw new DataSourceError(
          `${file}: row ${row}: categorical column "${col.name}" has more than ` +
            `${MAX_CATEGORIES} distinct values; if it is an id, list it in \`ignore\``,
          { file, row, column: col.name },
        );
      }
    } else if (col.kind === "label") {
      col.values.add(labelCell(file, row, col.name, cell));
      if (col.values.size > MAX_CSV_CLASSES) {
        throw tooManyClasses(file, col.name, col.values.size, row);
      }
    }
  }
}

/**
 * One streaming pass over the table: the header, the classes (sorted unique label values —
 * numerically when all are numbers), each numeric column's mean and population std (Welford; a
 * std of 0 becomes 1 so standardising a constant column is safe and gives 0), and each
 * categorical column's values (sorted the same way; cells are trimmed, an empty cell is a
 * category of its own). Columns not named categorical must be numeric.
 */
export async function inferCsvSchema(file: string, opts: CsvSchemaOptions): Promise<CsvSchema> {
  const delimiter = opts.delimiter ?? (path.extname(file).toLowerCase() === ".tsv" ? "\t" : ",");
  let cols: InferColumn[] | undefined;
  let names: string[] = [];
  let row = 0;
  await streamRecords(file, delimiter, (record) => {
    if (cols === undefined) {
      names = readHeader(file, record);
      cols = inferColumns(file, names, opts);
      return;
    }
    row++;
    checkCellCount(file, row, record, names);
    inferRow(file, row, record, cols);
  });
  if (cols === undefined) throw emptyFileError(file);
  if (row === 0) throw noRowsError(file);
  const features: CsvFeature[] = [];
  let classes: string[] = [];
  for (const col of cols) {
    if (col.kind === "label") classes = sortValues(col.values);
    else if (col.kind === "categorical") {
      features.push({ name: col.name, kind: "categorical", categories: sortValues(col.values) });
    } else if (col.kind === "numeric") {
      const std = Math.sqrt(col.m2 / col.n);
      features.push({ name: col.name, kind: "numeric", mean: col.mean, std: std > 0 ? std : 1 });
    }
  }
  return { label: opts.label, classes, features, delimiter, ignore: [...(opts.ignore ?? [])] };
}

// ---- loadCsv -----------------------------------------------------------------------------

/** Feature vector width: 1 per numeric column, `categories.length` per categorical column. */
export function csvFeatureWidth(schema: CsvSchema): number {
  let width = 0;
  for (const f of schema.features) width += f.kind === "numeric" ? 1 : f.categories.length;
  return width;
}

/** Names of the encoded columns, e.g. ["age", "sex=F", "sex=M"]. */
export function csvEncodedNames(schema: CsvSchema): string[] {
  return schema.features.flatMap((f) =>
    f.kind === "numeric" ? [f.name] : f.categories.map((c) => `${f.name}=${c}`),
  );
}

type LoadColumn =
  | { kind: "label" }
  | { kind: "ignore" }
  | { kind: "numeric"; name: string; offset: number; mean: number; std: number }
  | { kind: "categorical"; name: string; offset: number; index: Map<string, number> };

function checkSchema(file: string, schema: CsvSchema): void {
  const bad = (why: string): DataSourceError =>
    new DataSourceError(`Invalid table schema for ${file}: ${why}`, { file });
  if (schema.classes.length === 0) throw bad("no classes");
  if (schema.classes.length > MAX_CSV_CLASSES) {
    throw tooManyClasses(file, schema.label, schema.classes.length);
  }
  if (new Set(schema.classes).size !== schema.classes.length) throw bad("duplicate classes");
  if (schema.features.length === 0) throw bad("no feature columns");
  for (const f of schema.features) {
    if (f.kind === "categorical" && f.categories.length === 0) {
      throw bad(`categorical column "${f.name}" has no categories`);
    }
    if (f.kind === "numeric" && !(Number.isFinite(f.mean) && f.std > 0)) {
      throw bad(`numeric column "${f.name}" needs a finite mean and a std > 0`);
    }
  }
}

function loadColumns(file: string, header: string[], schema: CsvSchema): LoadColumn[] {
  const ignore = schema.ignore ?? [];
  const wanted = [schema.label, ...schema.features.map((f) => f.name)];
  const missing = wanted.filter((c) => !header.includes(c));
  const unexpected = header.filter((c) => !wanted.includes(c) && !ignore.includes(c));
  if (missing.length > 0 || unexpected.length > 0) {
    throw new DataSourceError(
      `${file}: the header does not match the schema (label "${schema.label}", features ` +
        `${list(wanted.slice(1))}): missing: ${list(missing)}; unexpected: ${list(unexpected)}`,
      { file },
    );
  }
  const byName = new Map<string, LoadColumn>();
  let offset = 0;
  for (const f of schema.features) {
    if (f.kind === "numeric") {
      byName.set(f.name, { kind: "numeric", name: f.name, offset, mean: f.mean, std: f.std });
      offset += 1;
    } else {
      const index = new Map(f.categories.map((c, i) => [c, i]));
      byName.set(f.name, { kind: "categorical", name: f.name, offset, index });
      offset += f.categories.length;
    }
  }
  return header.map((name): LoadColumn =>
    name === schema.label ? { kind: "label" } : (byName.get(name) ?? { kind: "ignore" }),
  );
}

interface RowContext {
  file: string;
  schema: CsvSchema;
  cols: LoadColumn[];
  classIndex: Map<string, number>;
  out: GrowingSplit;
}

function loadRow(ctx: RowContext, row: number, record: string[]): void {
  const { file, cols, out } = ctx;
  const base = out.addRow();
  const x = out.x;
  for (let i = 0; i < cols.length; i++) {
    const col = cols[i]!;
    const cell = record[i]!;
    if (col.kind === "numeric") {
      const v = parseNumber(cell);
      if (Number.isNaN(v)) {
        throw numberError(file, row, col.name, cell, " (the schema declares it numeric)");
      }
      x[base + col.offset] = (v - col.mean) / col.std;
    } else if (col.kind === "categorical") {
      const value = cell.trim();
      const k = col.index.get(value);
      if (k === undefined) {
        throw new DataSourceError(
          `${file}: row ${row}, column "${col.name}": value ${shown(value)} is not one of the ` +
            `schema's categories (${list([...col.index.keys()].slice(0, 20))}` +
            `${col.index.size > 20 ? ", …" : ""})`,
          { file, row, column: col.name },
        );
      }
      x[base + col.offset + k] = 1;
    } else if (col.kind === "label") {
      const value = labelCell(file, row, ctx.schema.label, cell);
      const k = ctx.classIndex.get(value);
      if (k === undefined) {
        throw new DataSourceError(
          `${file}: row ${row}, column "${ctx.schema.label}": unseen label value ` +
            `${shown(value)}; the schema's classes are ${list(ctx.schema.classes)}`,
          { file, row, column: ctx.schema.label },
        );
      }
      out.y[out.n - 1] = k;
    }
  }
}

/**
 * One streaming pass applying `schema`: numerics standardised ((v − mean) / std), categoricals
 * one-hot (in `csvEncodedNames` order), the label mapped to its class index. The header must
 * hold exactly the schema's columns plus any `schema.ignore` columns, in any order.
 */
export async function loadCsv(
  file: string,
  schema: CsvSchema,
): Promise<{ split: Split; rows: number }> {
  checkSchema(file, schema);
  const capacity = await countLines(file).catch(() => undefined);
  let header: string[] | undefined;
  let ctx: RowContext | undefined;
  let row = 0;
  await streamRecords(file, schema.delimiter, (record) => {
    if (ctx === undefined || header === undefined) {
      header = readHeader(file, record);
      const cols = loadColumns(file, header, schema);
      const classIndex = new Map(schema.classes.map((c, i) => [c, i]));
      ctx = {
        file,
        schema,
        cols,
        classIndex,
        out: new GrowingSplit(csvFeatureWidth(schema), capacity),
      };
      return;
    }
    row++;
    checkCellCount(file, row, record, header);
    loadRow(ctx, row, record);
  });
  if (ctx === undefined) throw emptyFileError(file);
  if (row === 0) throw noRowsError(file);
  return { split: ctx.out.finish(), rows: row };
}
