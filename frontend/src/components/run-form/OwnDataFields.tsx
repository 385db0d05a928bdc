// The `data` block of a run on the user's own data (domain/own-data.ts): an image folder of class
// subfolders or a CSV/TSV table, with where the coordinator's validation and test data come from.
// Paths are relative to the coordinator's data root (FEDLEDGER_DATA_ROOT).
import { useState } from "react";
import type { CreateRunRequest } from "../../../../backend/src/domain/index";
import type { FieldErrors } from "../../run-request";
import { EntrySelect, Field, NumberInput } from "./fields";

export type OwnDataInput = NonNullable<CreateRunRequest["data"]>;
type Format = OwnDataInput["format"];
type ImageSpec = NonNullable<OwnDataInput["image"]>;
type CsvOptions = NonNullable<OwnDataInput["csv"]>;

/** The dataset select's entry for a run on the user's own data. */
export const OWN_DATASET = {
  id: "own",
  label: "Your own data",
  help: "An image folder (one subfolder per class) or a CSV/TSV table (one row per sample, a label column). Paths are relative to the coordinator's data root (FEDLEDGER_DATA_ROOT, by default the repository's datasets/ folder).",
} as const;

/** What choosing "Your own data" starts from: a CSV table with a "label" column, 10 % + 10 % held out. */
export const OWN_DATA_START: OwnDataInput = {
  name: "my-data",
  format: "csv",
  csv: { label: "label" },
  holdout: { validation: 0.1, test: 0.1 },
};

const IMAGE_START: ImageSpec = { height: 32, width: 32, channels: 3, resize: true };
const CSV_START: CsvOptions = { label: "label" };
const HOLDOUT_START = { validation: 0.1, test: 0.1 };

const FORMATS: { id: Format; label: string }[] = [
  { id: "csv", label: "CSV/TSV table" },
  { id: "image-folder", label: "Image folder (a subfolder per class)" },
];
type Source = "files" | "holdout";
const SOURCES: { id: Source; label: string }[] = [
  { id: "files", label: "Their own files" },
  { id: "holdout", label: "Held out of the training data" },
];
type Delimiter = "auto" | "comma" | "tab";
const DELIMITERS: { id: Delimiter; label: string }[] = [
  { id: "auto", label: "Tab for .tsv, comma otherwise" },
  { id: "comma", label: "Comma" },
  { id: "tab", label: "Tab" },
];
const CHANNELS: { id: "1" | "3"; label: string }[] = [
  { id: "1", label: "1 (grayscale)" },
  { id: "3", label: "3 (RGB)" },
];

/** `o` without its undefined entries (an empty box leaves an optional field out of the request). */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

const listOf = (text: string): string[] =>
  text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");

/** The first error at `path` or below it (a list's items report at path.0, path.1, ...). */
function errorAt(errors: FieldErrors, path: string): string | undefined {
  if (errors[path]) return errors[path];
  const key = Object.keys(errors).find((k) => k.startsWith(`${path}.`));
  return key ? errors[key] : undefined;
}

/** A comma-separated list; the text is kept as typed while it means the same list. */
function ListInput(props: {
  id?: string;
  "aria-describedby"?: string;
  "aria-invalid"?: boolean;
  name: string;
  value: readonly string[] | undefined;
  placeholder?: string;
  onChange: (list: string[] | undefined) => void;
}) {
  const joined = (props.value ?? []).join(", ");
  const [text, setText] = useState(joined);
  // Loaded from elsewhere (a preset, a saved setting): show the new list.
  if (listOf(text).join("\n") !== listOf(joined).join("\n")) setText(joined);
  return (
    <input
      id={props.id}
      aria-describedby={props["aria-describedby"]}
      aria-invalid={props["aria-invalid"]}
      name={props.name}
      value={text}
      placeholder={props.placeholder}
      onChange={(e) => {
        setText(e.target.value);
        const list = listOf(e.target.value);
        props.onChange(list.length ? list : undefined);
      }}
    />
  );
}

/** A path box: an empty one leaves the path out. */
function PathInput(props: {
  id?: string;
  "aria-describedby"?: string;
  "aria-invalid"?: boolean;
  name: string;
  value: string | undefined;
  placeholder: string;
  onChange: (path: string | undefined) => void;
}) {
  return (
    <input
      id={props.id}
      aria-describedby={props["aria-describedby"]}
      aria-invalid={props["aria-invalid"]}
      name={props.name}
      className="mono"
      value={props.value ?? ""}
      placeholder={props.placeholder}
      onChange={(e) => props.onChange(e.target.value.trim() || undefined)}
    />
  );
}

export function OwnDataFields(props: {
  data: OwnDataInput;
  errors: FieldErrors;
  onChange: (data: OwnDataInput) => void;
}) {
  const { data, errors } = props;
  // Any edit drops what the coordinator resolved from the old settings: it resolves them again.
  const set = (patch: Partial<OwnDataInput>) => {
    const { resolved: _stale, ...rest } = { ...data, ...patch };
    props.onChange(defined(rest));
  };
  const image = data.image ?? IMAGE_START;
  const csv = data.csv ?? CSV_START;
  const setImage = (patch: Partial<ImageSpec>) => set({ image: { ...image, ...patch } });
  const setCsv = (patch: Partial<CsvOptions>) => set({ csv: defined({ ...csv, ...patch }) });
  const source: Source = data.holdout ? "holdout" : "files";
  const holdout = data.holdout ?? HOLDOUT_START;
  const ext = data.format === "csv" ? ".csv" : "";
  const err = (path: string) => errorAt(errors, `data.${path}`);
  return (
    <fieldset className="own-data" style={{ gridColumn: "1 / -1" }} data-testid="own-data">
      <legend>Your data</legend>
      <div className="form-grid">
        <Field label="Data name" error={err("name")} hint="a-z 0-9 . _ -, shown with the run">
          <input
            name="dataName"
            value={data.name}
            onChange={(e) => set({ name: e.target.value.trim() })}
          />
        </Field>
        <Field
          label="Data format"
          error={errors["data.image"] ?? errors["data.csv"]}
          hint="Images: a folder per class. Table: one row per sample"
        >
          <EntrySelect
            name="dataFormat"
            value={data.format}
            entries={FORMATS}
            onChange={(format) =>
              set(
                format === "csv"
                  ? { format, image: undefined, csv: data.csv ?? CSV_START }
                  : { format, csv: undefined, image: data.image ?? IMAGE_START },
              )
            }
          />
        </Field>
        <Field
          label="Training data"
          error={err("train")}
          hint="Relative to the coordinator's data root; simulated nodes share it out"
        >
          <PathInput
            name="dataTrain"
            value={data.train}
            placeholder={`my-data/train${ext}`}
            onChange={(train) => set({ train })}
          />
        </Field>
        <Field
          label="Validation and test data"
          error={
            errors["data.holdout"] ?? (source === "holdout" ? errors["data.validation"] : undefined)
          }
          hint="The coordinator scores contributions on validation data and reports test accuracy"
        >
          <EntrySelect
            name="dataSource"
            value={source}
            entries={SOURCES}
            onChange={(s) =>
              set(
                s === "holdout"
                  ? { holdout: HOLDOUT_START, validation: undefined, test: undefined }
                  : { holdout: undefined },
              )
            }
          />
        </Field>
        {source === "files" ? (
          <>
            <Field label="Validation data" error={err("validation")}>
              <PathInput
                name="dataValidation"
                value={data.validation}
                placeholder={`my-data/validation${ext}`}
                onChange={(validation) => set({ validation })}
              />
            </Field>
            <Field label="Test data" error={err("test")}>
              <PathInput
                name="dataTest"
                value={data.test}
                placeholder={`my-data/test${ext}`}
                onChange={(test) => set({ test })}
              />
            </Field>
          </>
        ) : (
          <>
            <Field
              label="Validation share"
              error={errors["data.holdout.validation"]}
              hint="Fraction of the training data (at most 0.5), fixed shuffle"
            >
              <NumberInput
                name="holdoutValidation"
                value={holdout.validation}
                step={0.05}
                min={0}
                max={0.5}
                onChange={(validation) => set({ holdout: { ...holdout, validation } })}
              />
            </Field>
            <Field
              label="Test share"
              error={errors["data.holdout.test"]}
              hint="Fraction of the training data (at most 0.5)"
            >
              <NumberInput
                name="holdoutTest"
                value={holdout.test}
                step={0.05}
                min={0}
                max={0.5}
                onChange={(test) => set({ holdout: { ...holdout, test } })}
              />
            </Field>
          </>
        )}
        {data.format === "image-folder" ? (
          <>
            <Field label="Image height (px)" error={err("image.height")}>
              <NumberInput
                name="imageHeight"
                value={image.height}
                step={1}
                min={4}
                max={512}
                onChange={(height) => setImage({ height })}
              />
            </Field>
            <Field label="Image width (px)" error={err("image.width")}>
              <NumberInput
                name="imageWidth"
                value={image.width}
                step={1}
                min={4}
                max={512}
                onChange={(width) => setImage({ width })}
              />
            </Field>
            <Field label="Colour channels" error={err("image.channels")}>
              <EntrySelect
                name="imageChannels"
                value={String(image.channels) as "1" | "3"}
                entries={CHANNELS}
                onChange={(c) => setImage({ channels: c === "1" ? 1 : 3 })}
              />
            </Field>
            <Field
              label="Resize other sizes"
              error={err("image.resize")}
              hint="Off: an image of another size is an error"
            >
              <input
                type="checkbox"
                name="imageResize"
                checked={image.resize ?? true}
                onChange={(e) => setImage({ resize: e.target.checked })}
              />
            </Field>
          </>
        ) : (
          <>
            <Field
              label="Label column"
              error={err("csv.label")}
              hint="The column of each row's class"
            >
              <input
                name="csvLabel"
                value={csv.label}
                onChange={(e) => setCsv({ label: e.target.value })}
              />
            </Field>
            <Field
              label="Categorical columns"
              error={err("csv.categorical")}
              hint="Comma-separated; one-hot encoded. The others are numeric"
            >
              <ListInput
                name="csvCategorical"
                value={csv.categorical}
                placeholder="none"
                onChange={(categorical) => setCsv({ categorical })}
              />
            </Field>
            <Field
              label="Ignored columns"
              error={err("csv.ignore")}
              hint="Comma-separated; dropped (ids, free text)"
            >
              <ListInput
                name="csvIgnore"
                value={csv.ignore}
                placeholder="none"
                onChange={(ignore) => setCsv({ ignore })}
              />
            </Field>
            <Field label="Column delimiter" error={err("csv.delimiter")}>
              <EntrySelect
                name="csvDelimiter"
                value={csv.delimiter === "\t" ? "tab" : csv.delimiter === "," ? "comma" : "auto"}
                entries={DELIMITERS}
                onChange={(d) =>
                  setCsv({ delimiter: d === "tab" ? "\t" : d === "comma" ? "," : undefined })
                }
              />
            </Field>
          </>
        )}
        <Field
          label="Class list"
          error={err("classes")}
          hint="Optional, comma-separated, in label order. Empty: the classes found, sorted"
        >
          <ListInput
            name="dataClasses"
            value={data.classes}
            placeholder="found in the data"
            onChange={(classes) => set({ classes })}
          />
        </Field>
      </div>
    </fieldset>
  );
}
