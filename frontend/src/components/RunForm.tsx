import { cloneElement, useId, useMemo, useState, type FormEvent, type ReactElement } from "react";
import type { CreateRunRequest } from "../../../backend/src/api/schemas";
import { RUN_PRESETS, presetById, requestFromPreset } from "../presets";
import { participantsPerRound, validateRunRequest, type FieldErrors } from "../run-request";

type Strategy = CreateRunRequest["strategy"];
type StrategyName = Strategy["name"];
type Partition = CreateRunRequest["partition"];

const STRATEGIES: { name: StrategyName; label: string; make: () => Strategy }[] = [
  { name: "fedavg", label: "FedAvg", make: () => ({ name: "fedavg" }) },
  { name: "fedprox", label: "FedProx", make: () => ({ name: "fedprox", mu: 0.01 }) },
  {
    name: "fedavgm",
    label: "FedAvgM",
    make: () => ({ name: "fedavgm", serverLr: 1, momentum: 0.9 }),
  },
  { name: "fedadam", label: "FedAdam", make: () => ({ name: "fedadam", serverLr: 0.01 }) },
  { name: "fedyogi", label: "FedYogi", make: () => ({ name: "fedyogi", serverLr: 0.01 }) },
  { name: "fedadagrad", label: "FedAdagrad", make: () => ({ name: "fedadagrad", serverLr: 0.01 }) },
  { name: "krum", label: "Krum / Multi-Krum", make: () => ({ name: "krum", f: 1, m: 1 }) },
  { name: "median", label: "Coordinate-wise median", make: () => ({ name: "median" }) },
  {
    name: "trimmed-mean",
    label: "Trimmed mean",
    make: () => ({ name: "trimmed-mean", beta: 0.1 }),
  },
];

type FieldChild = ReactElement<{
  id?: string;
  "aria-describedby"?: string;
  "aria-invalid"?: boolean;
}>;

function Field(props: { label: string; error?: string; hint?: string; children: FieldChild }) {
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

function NumberInput(props: {
  id?: string;
  "aria-describedby"?: string;
  "aria-invalid"?: boolean;
  value: number | undefined;
  onChange: (v: number) => void;
  step?: number;
  min?: number;
  max?: number;
  name: string;
}) {
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
      onChange={(e) => props.onChange(num(e.target.value))}
    />
  );
}

export interface RunFormProps {
  onSubmit: (request: CreateRunRequest) => void;
  submitting?: boolean;
  /** The coordinator's answer to the last submit, when it failed. */
  serverError?: string;
  initialPreset?: string;
}

/** Configure a run: pick a preset, adjust, and start. Validated with the coordinator's schema. */
export function RunForm(props: RunFormProps) {
  const [presetId, setPresetId] = useState(props.initialPreset ?? RUN_PRESETS[0]?.id ?? "");
  const [req, setReq] = useState<CreateRunRequest>(() => requestFromPreset(presetId));
  const [touched, setTouched] = useState(false);
  const validation = useMemo(() => validateRunRequest(req), [req]);
  const errors: FieldErrors = touched && !validation.ok ? validation.errors : {};
  const set = (patch: Partial<CreateRunRequest>) => setReq((r) => ({ ...r, ...patch }));
  const setStrategy = (patch: Record<string, number>) =>
    setReq((r) => ({ ...r, strategy: { ...r.strategy, ...patch } as Strategy }));
  const preset = presetById(presetId);
  const perRound = participantsPerRound(req.numNodes, req.fraction);

  const choosePreset = (id: string) => {
    setPresetId(id);
    setReq(requestFromPreset(id));
    setTouched(false);
  };

  const setPartition = (kind: Partition["kind"]) => {
    const partition: Partition =
      kind === "iid"
        ? { kind }
        : kind === "dirichlet"
          ? { kind, alpha: 0.5 }
          : { kind, shardsPerNode: 2 };
    set({ partition });
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (validation.ok) props.onSubmit(validation.request);
  };

  const s = req.strategy;
  const reward = req.reward ?? { policy: "loss-improvement", poolPerRound: "100" };

  return (
    <form className="run-form" onSubmit={submit} noValidate aria-label="Configure a run">
      <div className="preset-row">
        <Field label="Preset" hint={preset?.description}>
          <select name="preset" value={presetId} onChange={(e) => choosePreset(e.target.value)}>
            {RUN_PRESETS.map((p) => (
              <option key={p.id} value={p.id}>
                {p.label}
              </option>
            ))}
          </select>
        </Field>
      </div>

      <fieldset>
        <legend>Data and model</legend>
        <div className="form-grid">
          <Field label="Run name" error={errors.name}>
            <input
              name="name"
              value={req.name ?? ""}
              onChange={(e) => set({ name: e.target.value })}
            />
          </Field>
          <Field label="Dataset" error={errors.dataset}>
            <select
              name="dataset"
              value={req.dataset}
              onChange={(e) => set({ dataset: e.target.value as CreateRunRequest["dataset"] })}
            >
              <option value="mnist">MNIST</option>
              <option value="fashion-mnist">Fashion-MNIST</option>
              <option value="synthetic">Synthetic (seeded)</option>
            </select>
          </Field>
          <Field label="Model" error={errors.model}>
            <select
              name="model"
              value={req.model}
              onChange={(e) => set({ model: e.target.value as CreateRunRequest["model"] })}
            >
              <option value="logreg">Logistic regression</option>
              <option value="2nn">2NN (MLP 200-200)</option>
              <option value="cnn">CNN (FedAvg paper)</option>
            </select>
          </Field>
          <Field label="Training samples" error={errors.trainLimit} hint="Empty = the whole set">
            <NumberInput
              name="trainLimit"
              value={req.trainLimit}
              min={100}
              step={100}
              onChange={(v) => set({ trainLimit: Number.isNaN(v) ? undefined : v })}
            />
          </Field>
          <Field label="Partition" error={errors.partition}>
            <select
              name="partition"
              value={req.partition.kind}
              onChange={(e) => setPartition(e.target.value as Partition["kind"])}
            >
              <option value="iid">IID</option>
              <option value="dirichlet">Dirichlet label skew</option>
              <option value="shards">Label-sorted shards</option>
            </select>
          </Field>
          {req.partition.kind === "dirichlet" && (
            <Field
              label="Dirichlet α"
              error={errors["partition.alpha"]}
              hint="Smaller = more skewed"
            >
              <NumberInput
                name="alpha"
                value={req.partition.alpha}
                step={0.1}
                onChange={(alpha) => set({ partition: { kind: "dirichlet", alpha } })}
              />
            </Field>
          )}
          {req.partition.kind === "shards" && (
            <Field label="Shards per node" error={errors["partition.shardsPerNode"]}>
              <NumberInput
                name="shardsPerNode"
                value={req.partition.shardsPerNode}
                step={1}
                onChange={(shardsPerNode) => set({ partition: { kind: "shards", shardsPerNode } })}
              />
            </Field>
          )}
        </div>
      </fieldset>

      <fieldset>
        <legend>Federation</legend>
        <div className="form-grid">
          <Field label="Nodes" error={errors.numNodes}>
            <NumberInput
              name="numNodes"
              value={req.numNodes}
              step={1}
              min={1}
              onChange={(numNodes) => set({ numNodes })}
            />
          </Field>
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
          <Field label="Rounds" error={errors.rounds}>
            <NumberInput
              name="rounds"
              value={req.rounds}
              step={1}
              min={1}
              onChange={(rounds) => set({ rounds })}
            />
          </Field>
          <Field label="Local epochs (E)" error={errors.localEpochs}>
            <NumberInput
              name="localEpochs"
              value={req.localEpochs}
              step={1}
              min={1}
              onChange={(localEpochs) => set({ localEpochs })}
            />
          </Field>
          <Field label="Batch size (B)" error={errors.batchSize}>
            <NumberInput
              name="batchSize"
              value={req.batchSize}
              step={1}
              min={1}
              onChange={(batchSize) => set({ batchSize })}
            />
          </Field>
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

      <fieldset>
        <legend>Aggregation and robustness</legend>
        <div className="form-grid">
          <Field label="Strategy" error={errors.strategy}>
            <select
              name="strategy"
              value={s.name}
              onChange={(e) =>
                set({
                  strategy: (
                    STRATEGIES.find((x) => x.name === e.target.value) ?? STRATEGIES[0]!
                  ).make(),
                })
              }
            >
              {STRATEGIES.map((x) => (
                <option key={x.name} value={x.name}>
                  {x.label}
                </option>
              ))}
            </select>
          </Field>
          {s.name === "fedprox" && (
            <Field label="Proximal μ" error={errors["strategy.mu"]}>
              <NumberInput
                name="mu"
                value={s.mu}
                step={0.01}
                onChange={(mu) => setStrategy({ mu })}
              />
            </Field>
          )}
          {(s.name === "fedavgm" ||
            s.name === "fedadam" ||
            s.name === "fedyogi" ||
            s.name === "fedadagrad") && (
            <Field label="Server learning rate" error={errors["strategy.serverLr"]}>
              <NumberInput
                name="serverLr"
                value={s.serverLr}
                step={0.01}
                onChange={(serverLr) => setStrategy({ serverLr })}
              />
            </Field>
          )}
          {s.name === "krum" && (
            <>
              <Field label="Byzantine tolerated (f)" error={errors["strategy.f"]}>
                <NumberInput
                  name="f"
                  value={s.f}
                  step={1}
                  min={0}
                  onChange={(f) => setStrategy({ f })}
                />
              </Field>
              <Field
                label="Updates averaged (m)"
                error={errors["strategy.m"]}
                hint="1 = Krum, more = Multi-Krum"
              >
                <NumberInput
                  name="m"
                  value={s.m}
                  step={1}
                  min={1}
                  onChange={(m) => setStrategy({ m })}
                />
              </Field>
            </>
          )}
          {s.name === "trimmed-mean" && (
            <Field label="Trim β (each end)" error={errors["strategy.beta"]}>
              <NumberInput
                name="beta"
                value={s.beta}
                step={0.05}
                onChange={(beta) => setStrategy({ beta })}
              />
            </Field>
          )}
          <Field
            label="Byzantine nodes (fraction)"
            error={errors["byzantine.fraction"]}
            hint="Simulated attackers; 0 = none"
          >
            <NumberInput
              name="byzantineFraction"
              value={req.byzantine?.fraction ?? 0}
              step={0.05}
              min={0}
              max={0.5}
              onChange={(fraction) =>
                set({
                  byzantine: {
                    attack: req.byzantine?.attack ?? "sign-flip",
                    scale: req.byzantine?.scale ?? -4,
                    fraction,
                  },
                })
              }
            />
          </Field>
          {req.byzantine && req.byzantine.fraction > 0 && (
            <Field label="Attack" error={errors["byzantine.attack"]}>
              <select
                name="attack"
                value={req.byzantine.attack}
                onChange={(e) =>
                  set({
                    byzantine: {
                      ...req.byzantine!,
                      attack: e.target.value as "sign-flip" | "scale",
                    },
                  })
                }
              >
                <option value="sign-flip">Sign flip</option>
                <option value="scale">Scale</option>
              </select>
            </Field>
          )}
        </div>
      </fieldset>

      <fieldset>
        <legend>Rewards</legend>
        <div className="form-grid">
          <Field label="Contribution score" error={errors["reward.policy"]}>
            <select
              name="rewardPolicy"
              value={reward.policy ?? "loss-improvement"}
              onChange={(e) =>
                set({
                  reward: {
                    ...reward,
                    policy: e.target.value as "loss-improvement" | "leave-one-out" | "shapley-mc",
                  },
                })
              }
            >
              <option value="loss-improvement">Loss improvement (sample-weighted)</option>
              <option value="leave-one-out">Leave-one-out</option>
              <option value="shapley-mc">Shapley (Monte Carlo)</option>
            </select>
          </Field>
          <Field label="Tokens per round" error={errors["reward.poolPerRound"]}>
            <input
              name="poolPerRound"
              inputMode="decimal"
              value={reward.poolPerRound ?? ""}
              onChange={(e) => set({ reward: { ...reward, poolPerRound: e.target.value.trim() } })}
            />
          </Field>
          {reward.policy === "shapley-mc" && (
            <Field label="Permutations" error={errors["reward.permutations"]}>
              <NumberInput
                name="permutations"
                value={reward.permutations ?? 20}
                step={1}
                onChange={(permutations) => set({ reward: { ...reward, permutations } })}
              />
            </Field>
          )}
        </div>
      </fieldset>

      {touched && !validation.ok && (
        <p className="form-summary" role="alert">
          Fix the highlighted field{Object.keys(validation.errors).length > 1 ? "s" : ""} to start
          the run.
          {Object.entries(validation.errors)
            .filter(([path]) => !FIELD_PATHS.has(path))
            .map(([path, msg]) => ` ${path}: ${msg}.`)}
        </p>
      )}
      {props.serverError && (
        <p className="form-summary" role="alert">
          The coordinator refused the run: {props.serverError}
        </p>
      )}
      <div className="form-actions">
        <button
          type="submit"
          className="button primary"
          disabled={props.submitting}
          data-testid="start-run"
        >
          {props.submitting ? "Starting…" : "Start run"}
        </button>
        <button type="button" className="button" onClick={() => choosePreset(presetId)}>
          Reset to preset
        </button>
      </div>
    </form>
  );
}

const FIELD_PATHS = new Set([
  "name",
  "dataset",
  "model",
  "trainLimit",
  "partition",
  "partition.alpha",
  "partition.shardsPerNode",
  "numNodes",
  "fraction",
  "rounds",
  "localEpochs",
  "batchSize",
  "learningRate",
  "seed",
  "strategy",
  "strategy.mu",
  "strategy.serverLr",
  "strategy.f",
  "strategy.m",
  "strategy.beta",
  "byzantine.fraction",
  "byzantine.attack",
  "reward.policy",
  "reward.poolPerRound",
  "reward.permutations",
]);
