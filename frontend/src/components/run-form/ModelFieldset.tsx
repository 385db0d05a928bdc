// "Model registry": where the run starts (fresh weights, a stored version of another run, or a
// model hash), when it stops early, automatic rollback, and which versions and updates it keeps.
import type { CreateRunRequest } from "../../../../backend/src/domain/index";
import { DEFAULT_KEEP_BEST, DEFAULT_RETENTION, type SectionProps } from "./catalogue";
import { Field, NumberInput } from "./fields";
import { RetentionFields } from "./RetentionFields";

type InitialModel = NonNullable<CreateRunRequest["initialModel"]>;
type VersionRound = Extract<InitialModel, { run: string }>["round"];
type StartKind = "fresh" | "version" | "hash";

const START_KINDS: { id: StartKind; label: string }[] = [
  { id: "fresh", label: "Fresh weights (seeded)" },
  { id: "version", label: "A stored version of a run" },
  { id: "hash", label: "A stored model by hash" },
];

function startKind(m: InitialModel | undefined): StartKind {
  return !m ? "fresh" : "run" in m ? "version" : "hash";
}

/** The round box's text as the schema wants it: a number, "best" or "last". */
function parseRound(text: string): VersionRound {
  const t = text.trim();
  // Anything else is kept as typed, for the schema to refuse at the field.
  return (/^\d+$/.test(t) ? Number(t) : t) as VersionRound;
}

const withoutUndefined = <T extends object>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

export function ModelFieldset({ req, errors, update }: SectionProps) {
  const set = (patch: Partial<CreateRunRequest>) =>
    update((r) => withoutUndefined({ ...r, ...patch }));
  const initial = req.initialModel;
  const kind = startKind(initial);
  const setKind = (k: StartKind) =>
    set({
      initialModel:
        k === "fresh" ? undefined : k === "version" ? { run: "", round: "best" } : { hash: "" },
    });
  return (
    <fieldset>
      <legend>Model registry</legend>
      <div className="form-grid">
        <Field
          label="Start from"
          error={errors.initialModel}
          hint="A warm start or rollback: the run's spec on chain names the model it starts from"
        >
          <select
            name="startFrom"
            value={kind}
            onChange={(e) => setKind(e.target.value as StartKind)}
          >
            {START_KINDS.map((s) => (
              <option key={s.id} value={s.id}>
                {s.label}
              </option>
            ))}
          </select>
        </Field>
        {initial && "run" in initial && (
          <>
            <Field label="From run" error={errors["initialModel.run"]}>
              <input
                name="initialRun"
                value={initial.run}
                placeholder="run id"
                onChange={(e) => set({ initialModel: { ...initial, run: e.target.value.trim() } })}
              />
            </Field>
            <Field
              label="Version"
              error={errors["initialModel.round"]}
              hint="A round number, best or last"
            >
              <input
                name="initialRound"
                value={String(initial.round)}
                onChange={(e) =>
                  set({
                    initialModel: { ...initial, round: parseRound(e.target.value) },
                  })
                }
              />
            </Field>
          </>
        )}
        {initial && !("run" in initial) && (
          <Field label="Model hash" error={errors["initialModel.hash"]}>
            <input
              name="initialHash"
              className="mono"
              value={initial.hash}
              placeholder="0x…"
              onChange={(e) => set({ initialModel: { hash: e.target.value.trim() } })}
            />
          </Field>
        )}
        <Field
          label="Stop at accuracy (%)"
          error={errors.stopAtAccuracy}
          hint="Empty: run every round. The round that reaches it is the last, on chain too"
        >
          <NumberInput
            name="stopAtAccuracy"
            value={req.stopAtAccuracy === undefined ? undefined : req.stopAtAccuracy * 100}
            step={0.5}
            min={0}
            max={100}
            onChange={(v) => set({ stopAtAccuracy: Number.isNaN(v) ? undefined : v / 100 })}
          />
        </Field>
        <Field
          label="Roll back after a drop of (points)"
          error={errors.rollbackDropPoints}
          hint="Empty: never. The next round starts from the best version; the bad one stays recorded"
        >
          <NumberInput
            name="rollbackDropPoints"
            value={req.rollbackDropPoints}
            step={1}
            min={0}
            max={100}
            onChange={(v) => set({ rollbackDropPoints: Number.isNaN(v) ? undefined : v })}
          />
        </Field>
        <Field
          label="Keep the best version"
          hint="Whatever the retention prunes, the best stays served"
        >
          <input
            type="checkbox"
            name="keepBest"
            checked={req.keepBest ?? DEFAULT_KEEP_BEST}
            onChange={(e) => set({ keepBest: e.target.checked })}
          />
        </Field>
        <RetentionFields
          retention={{ ...DEFAULT_RETENTION, ...withoutUndefined(req.retention ?? {}) }}
          errors={errors}
          onChange={(retention) => set({ retention })}
        />
      </div>
    </fieldset>
  );
}
