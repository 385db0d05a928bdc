// The run form's building blocks: a labelled field with its hint or error, and the inputs it wraps.
import { cloneElement, useId, type ReactElement } from "react";

/** What Field gives its input: the id its label points at, and the note that describes it. */
interface FieldInputProps {
  id?: string;
  "aria-describedby"?: string;
  "aria-invalid"?: boolean;
}

export function Field(props: {
  label: string;
  error?: string | undefined;
  hint?: string | undefined;
  children: ReactElement<FieldInputProps>;
}) {
  const id = useId();
  const noteId = `${id}-note`;
  const note = props.error ?? props.hint;
  return (
    <div className={`field${props.error ? " field-invalid" : ""}`}>
      <label className="field-label" htmlFor={id}>
        {props.label}
      </label>
      {cloneElement(props.children, {
        id,
        "aria-describedby": note ? noteId : undefined,
        "aria-invalid": props.error ? true : undefined,
      })}
      {props.error ? (
        <span className="field-error" id={noteId} role="alert">
          {props.error}
        </span>
      ) : (
        props.hint && (
          <span className="field-hint" id={noteId}>
            {props.hint}
          </span>
        )
      )}
    </div>
  );
}

function num(value: string): number {
  return value.trim() === "" ? Number.NaN : Number(value);
}

/** A number input; an empty box is NaN, which the schema refuses (or the caller maps to unset). */
export function NumberInput(
  props: FieldInputProps & {
    name: string;
    value: number | undefined;
    onChange: (v: number) => void;
    step?: number | undefined;
    min?: number | undefined;
    max?: number | undefined;
    placeholder?: string | undefined;
  },
) {
  return (
    <input
      type="number"
      id={props.id}
      aria-describedby={props["aria-describedby"]}
      aria-invalid={props["aria-invalid"]}
      name={props.name}
      value={props.value === undefined || Number.isNaN(props.value) ? "" : props.value}
      step={props.step ?? "any"}
      min={props.min}
      max={props.max}
      placeholder={props.placeholder}
      onChange={(e) => props.onChange(num(e.target.value))}
    />
  );
}

/** A select over catalogue entries (or any list of ids with labels). */
export function EntrySelect<Id extends string>(
  props: FieldInputProps & {
    name: string;
    value: Id;
    entries: readonly { readonly id: Id; readonly label: string }[];
    onChange: (id: Id) => void;
  },
) {
  return (
    <select
      id={props.id}
      aria-describedby={props["aria-describedby"]}
      aria-invalid={props["aria-invalid"]}
      name={props.name}
      value={props.value}
      onChange={(e) => props.onChange(e.target.value as Id)}
    >
      {props.entries.map((e) => (
        <option key={e.id} value={e.id}>
          {e.label}
        </option>
      ))}
    </select>
  );
}
