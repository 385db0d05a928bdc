// The run's retention policy: which model versions and which node updates stay in the artifact
// store (pruned artifacts keep their hash and metadata; the latest and the best version stay).
import type { FieldErrors } from "../../run-request";
import type { Retention } from "./catalogue";
import { Field, NumberInput } from "./fields";

type Models = Retention["models"];
type Updates = Retention["updates"];

const MODEL_KEEPS: { id: Models["keep"]; label: string }[] = [
  { id: "all", label: "Every version" },
  { id: "every", label: "Every k-th version" },
  { id: "best-and-last", label: "The best and the last N" },
];

function modelsOf(keep: Models["keep"], prev: Models): Models {
  if (keep === "every") return { keep, k: prev.keep === "every" ? prev.k : 5 };
  if (keep === "best-and-last")
    return { keep, last: prev.keep === "best-and-last" ? prev.last : 3 };
  return { keep: "all" };
}

function updatesOf(keep: Updates["keep"]): Updates {
  return keep === "last" ? { keep, rounds: 1 } : { keep: "all" };
}

export function RetentionFields(props: {
  retention: Retention;
  errors: FieldErrors;
  onChange: (r: Retention) => void;
}) {
  const { retention, errors, onChange } = props;
  const { models, updates } = retention;
  const setModels = (m: Models) => onChange({ ...retention, models: m });
  const setUpdates = (u: Updates) => onChange({ ...retention, updates: u });
  return (
    <>
      <Field label="Keep model versions" error={errors["retention.models"]}>
        <select
          name="retentionModels"
          value={models.keep}
          onChange={(e) => setModels(modelsOf(e.target.value as Models["keep"], models))}
        >
          {MODEL_KEEPS.map((k) => (
            <option key={k.id} value={k.id}>
              {k.label}
            </option>
          ))}
        </select>
      </Field>
      {models.keep === "every" && (
        <Field label="Every k-th (k)" error={errors["retention.models.k"]}>
          <NumberInput
            name="retentionK"
            value={models.k}
            step={1}
            min={2}
            onChange={(k) => setModels({ keep: "every", k })}
          />
        </Field>
      )}
      {models.keep === "best-and-last" && (
        <Field label="Last versions (N)" error={errors["retention.models.last"]}>
          <NumberInput
            name="retentionLast"
            value={models.last}
            step={1}
            min={1}
            onChange={(last) => setModels({ keep: "best-and-last", last })}
          />
        </Field>
      )}
      <Field
        label="Keep node updates"
        error={errors["retention.updates"]}
        hint="What the re-execution audit recomputes scores from"
      >
        <select
          name="retentionUpdates"
          value={updates.keep}
          onChange={(e) => setUpdates(updatesOf(e.target.value as Updates["keep"]))}
        >
          <option value="all">Every round&apos;s</option>
          <option value="last">The last N rounds&apos;</option>
        </select>
      </Field>
      {updates.keep === "last" && (
        <Field label="Update rounds (N)" error={errors["retention.updates.rounds"]}>
          <NumberInput
            name="retentionUpdateRounds"
            value={updates.rounds}
            step={1}
            min={0}
            onChange={(rounds) => setUpdates({ keep: "last", rounds })}
          />
        </Field>
      )}
    </>
  );
}
