// The parameters of a catalogue entry (a strategy, reward policy, attack, partition), rendered from
// its schema: the title labels the field, the description is its hint, the bounds and default go
// to the input, and the error shown is the one at `<path>.<param>`.
import type { ParamDescription } from "../../../../backend/src/domain/index";
import type { FieldErrors } from "../../run-request";
import { Field, NumberInput } from "./fields";

export interface CatalogueParamsProps {
  params: readonly ParamDescription[];
  values: Readonly<Record<string, unknown>>;
  /** A parameter's new value; undefined leaves it unset (its schema's default applies). */
  onChange: (name: string, value: unknown) => void;
  errors: FieldErrors;
  /** Where the entry sits in the request: its parameters' errors are at `<path>.<name>`. */
  path: string;
  /** Input names other than the parameter's own (where it would clash with another field's). */
  inputNames?: Readonly<Record<string, string>>;
}

export function CatalogueParams(props: CatalogueParamsProps) {
  return (
    <>
      {props.params.map((p) => (
        <ParamField
          key={p.name}
          param={p}
          name={props.inputNames?.[p.name] ?? p.name}
          value={props.values[p.name]}
          error={props.errors[`${props.path}.${p.name}`]}
          onChange={(v) => props.onChange(p.name, v)}
        />
      ))}
    </>
  );
}

/** Arrow-key step: 1 for integers, else the default's order of magnitude (at most 0.1). */
export function stepOf(p: ParamDescription): number | undefined {
  if (p.type === "integer") return 1;
  if (typeof p.default === "number" && p.default !== 0) {
    return Math.min(0.1, 10 ** Math.floor(Math.log10(Math.abs(p.default))));
  }
  return (p.maximum ?? p.exclusiveMaximum ?? Infinity) <= 1 ? 0.01 : undefined;
}

function ParamField(props: {
  param: ParamDescription;
  name: string;
  value: unknown;
  error: string | undefined;
  onChange: (value: unknown) => void;
}) {
  const { param: p, name, value } = props;
  // An emptied optional parameter is left out of the request, so its default applies.
  const unsetWhenEmpty = p.optional;
  const placeholder = p.default === undefined ? undefined : String(p.default);
  const field = (input: Parameters<typeof Field>[0]["children"]) => (
    <Field label={p.title} error={props.error} hint={p.description || undefined}>
      {input}
    </Field>
  );
  switch (p.type) {
    case "number":
    case "integer":
      return field(
        <NumberInput
          name={name}
          value={typeof value === "number" ? value : undefined}
          step={stepOf(p)}
          min={p.minimum ?? p.exclusiveMinimum}
          max={p.maximum ?? p.exclusiveMaximum}
          placeholder={placeholder}
          onChange={(v) => props.onChange(Number.isNaN(v) && unsetWhenEmpty ? undefined : v)}
        />,
      );
    case "string":
      return field(
        <input
          name={name}
          value={typeof value === "string" ? value : ""}
          placeholder={placeholder}
          onChange={(e) => {
            const v = e.target.value.trim();
            props.onChange(v === "" && unsetWhenEmpty ? undefined : v);
          }}
        />,
      );
    case "enum":
      return field(
        <select
          name={name}
          value={typeof value === "string" ? value : String(p.default ?? "")}
          onChange={(e) => props.onChange(e.target.value)}
        >
          {(p.options ?? []).map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>,
      );
    case "boolean":
      return field(
        <input
          type="checkbox"
          name={name}
          checked={typeof value === "boolean" ? value : p.default === true}
          onChange={(e) => props.onChange(e.target.checked)}
        />,
      );
    default:
      // A parameter the form cannot edit (an object or a list): its default applies.
      return null;
  }
}
