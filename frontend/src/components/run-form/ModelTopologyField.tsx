// A run's own model (model "layers"): the TF.js Layers JSON `model.toJSON()` gives, pasted into a
// textarea, parsed as it is typed and kept in the request's `modelTopology`. The coordinator checks
// the layers against the run's data (engine/models/layers-topology.ts).
import { useState } from "react";
import { Field } from "./fields";

export type Topology = Record<string, unknown>;

/** The model select's entry for a run on the user's own model. */
export const LAYERS_MODEL_ENTRY = {
  id: "layers",
  label: "Your own model (TF.js Layers JSON)",
  help: "A Sequential model with Dense, Conv2D, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, Flatten, Reshape and Activation layers (at most 10 M parameters). A softmax on the last layer is treated as logits.",
} as const;

const PLACEHOLDER = `{"class_name": "Sequential", "config": {"name": "sequential_1", "layers": [
  {"class_name": "Dense", "config": {"units": 64, "activation": "relu", "batch_input_shape": [null, 30]}},
  {"class_name": "Dense", "config": {"units": 2, "activation": "softmax"}}
]}}`;

type Parsed = { ok: true; topology: Topology | undefined } | { ok: false; error: string };

/**
 * The topology in `text`: a JSON object (model.toJSON(null, false), or a model.json with
 * modelTopology), or a JSON string of one (what model.toJSON() returns); empty text is none.
 */
export function parseTopology(text: string): Parsed {
  if (text.trim() === "") return { ok: true, topology: undefined };
  let value: unknown;
  try {
    value = JSON.parse(text);
    if (typeof value === "string") value = JSON.parse(value);
  } catch (e) {
    return { ok: false, error: `Not valid JSON: ${(e as Error).message}` };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return { ok: false, error: "Expected a JSON object: the model JSON model.toJSON() gives" };
  return { ok: true, topology: value as Topology };
}

const show = (t: Topology | undefined) => (t ? JSON.stringify(t, null, 2) : "");

export function ModelTopologyField(props: {
  value: Topology | undefined;
  error: string | undefined;
  onChange: (topology: Topology | undefined) => void;
}) {
  // The text as typed, what it last gave the request, and its syntax error if any.
  const [state, setState] = useState(() => ({
    text: show(props.value),
    sent: props.value,
    error: undefined as string | undefined,
  }));
  // A topology loaded from elsewhere (a preset, saved settings): show it.
  if (props.value !== state.sent)
    setState({ text: show(props.value), sent: props.value, error: undefined });
  const change = (text: string) => {
    const parsed = parseTopology(text);
    const topology = parsed.ok ? parsed.topology : undefined;
    setState({ text, sent: topology, error: parsed.ok ? undefined : parsed.error });
    props.onChange(topology);
  };
  return (
    <div style={{ gridColumn: "1 / -1" }}>
      <Field
        label="Model topology (JSON)"
        error={state.error ?? props.error}
        hint="Paste what model.toJSON() gives for a tf.sequential model; its input shape must be the data's and its last layer must output one unit per class"
      >
        <textarea
          name="modelTopology"
          className="mono"
          rows={8}
          spellCheck={false}
          value={state.text}
          placeholder={PLACEHOLDER}
          style={{ width: "100%", boxSizing: "border-box", fontSize: "0.8rem" }}
          onChange={(e) => change(e.target.value)}
        />
      </Field>
    </div>
  );
}
