// "Federation": who trains (simulated nodes or remote agents), how many, and how.
import { participantsPerRound, type CreateRunRequest } from "../../../../backend/src/domain/index";
import { DEFAULT_ROUND_TIMEOUT_MS, type SectionProps } from "./catalogue";
import { Field, NumberInput } from "./fields";

const NODE_SOURCES = [
  { id: "simulated", label: "Simulated nodes" },
  { id: "remote", label: "Remote node agents" },
] as const;

/** The request for a node source: the remote-only settings go when switching to simulated nodes. */
function withNodeSource(r: CreateRunRequest, source: "simulated" | "remote"): CreateRunRequest {
  if (source === "remote") return { ...r, nodeSource: "remote" };
  const { minNodes: _m, roundTimeoutMs: _t, ...rest } = r;
  const aggregation =
    rest.aggregation?.mode === "secure"
      ? (({ stageTimeoutMs: _s, ...a }) => a)(rest.aggregation)
      : rest.aggregation;
  return { ...rest, nodeSource: "simulated", ...(aggregation ? { aggregation } : {}) };
}

export function FederationFieldset({ req, errors, update }: SectionProps) {
  const set = (patch: Partial<CreateRunRequest>) => update((r) => ({ ...r, ...patch }));
  const remote = req.nodeSource === "remote";
  const perRound = participantsPerRound(req.numNodes, req.fraction);
  const count = (label: string, key: "numNodes" | "rounds" | "localEpochs" | "batchSize") => (
    <Field label={label} error={errors[key]}>
      <NumberInput
        name={key}
        value={req[key]}
        step={1}
        min={1}
        onChange={(v) => set({ [key]: v })}
      />
    </Field>
  );
  return (
    <fieldset>
      <legend>Federation</legend>
      <div className="form-grid">
        <Field
          label="Node source"
          error={errors.nodeSource}
          hint={
            remote
              ? "Node agents (npm run node) train on their own data; the dataset gives the model and the coordinator's test and validation data"
              : "Simulated nodes train in the coordinator's workers on partitions of the dataset"
          }
        >
          <select
            name="nodeSource"
            value={remote ? "remote" : "simulated"}
            onChange={(e) =>
              update((r) => withNodeSource(r, e.target.value as "simulated" | "remote"))
            }
          >
            {NODE_SOURCES.map((s) => (
              <option key={s.id} value={s.id}>
                {s.label}
              </option>
            ))}
          </select>
        </Field>
        {remote && (
          <>
            <Field
              label="Min nodes"
              error={errors.minNodes}
              hint="A round starts with this many agents online (empty: all it wants)"
            >
              <NumberInput
                name="minNodes"
                value={req.minNodes}
                step={1}
                min={1}
                onChange={(v) => set({ minNodes: Number.isNaN(v) ? undefined : v })}
              />
            </Field>
            <Field
              label="Round timeout (s)"
              error={errors.roundTimeoutMs}
              hint="After this, a round aggregates what arrived; late nodes earn nothing"
            >
              <NumberInput
                name="roundTimeoutSeconds"
                value={(req.roundTimeoutMs ?? DEFAULT_ROUND_TIMEOUT_MS) / 1000}
                step={1}
                min={1}
                onChange={(v) => set({ roundTimeoutMs: Math.round(v * 1000) })}
              />
            </Field>
          </>
        )}
        {count("Nodes", "numNodes")}
        <Field
          label="Fraction per round (C)"
          error={errors.fraction}
          hint={Number.isFinite(perRound) ? `${perRound} node(s) per round` : undefined}
        >
          <NumberInput
            name="fraction"
            value={req.fraction}
            step={0.05}
            min={0}
            max={1}
            onChange={(fraction) => set({ fraction })}
          />
        </Field>
        {count("Rounds", "rounds")}
        {count("Local epochs (E)", "localEpochs")}
        {count("Batch size (B)", "batchSize")}
        <Field label="Learning rate" error={errors.learningRate}>
          <NumberInput
            name="learningRate"
            value={req.learningRate}
            step={0.01}
            onChange={(learningRate) => set({ learningRate })}
          />
        </Field>
        <Field label="Seed" error={errors.seed}>
          <NumberInput
            name="seed"
            value={req.seed}
            step={1}
            min={0}
            onChange={(seed) => set({ seed })}
          />
        </Field>
      </div>
    </fieldset>
  );
}
