import { cloneElement, useId, useMemo, useState, type FormEvent, type ReactElement } from "react";
import type { CreateRunRequest } from "../../../backend/src/domain/index";
import {
  RUN_PRESETS,
  participantsPerRound,
  presetById,
  requestFromPreset,
} from "../../../backend/src/domain/index";
import { POLICY_NAMES, POLICY_TEXT } from "../reward-policies";
import { ruleErrors, validateRunRequest, type FieldErrors } from "../run-request";

type Strategy = CreateRunRequest["strategy"];
type StrategyName = Strategy["name"];
type Partition = CreateRunRequest["partition"];
type Privacy = NonNullable<CreateRunRequest["privacy"]>;
type Aggregation = NonNullable<CreateRunRequest["aggregation"]>;
type PolicyName = NonNullable<NonNullable<CreateRunRequest["reward"]>["policy"]>;

/** What switching differential privacy on starts from (the DP-FedAvg preset's settings). */
const DEFAULT_PRIVACY: Privacy = { clipNorm: 1, noiseMultiplier: 0.1, delta: 1e-5 };
const DEFAULT_ADAPTIVE = { targetQuantile: 0.5, learningRate: 0.2 };

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
  // The cross-field rules (secure aggregation's conflicts, Krum's participants, ...) show at once,
  // not only after a submit.
  const conflicts = useMemo(() => ruleErrors(req), [req]);
  const errors: FieldErrors = {
    ...(touched && !validation.ok ? validation.errors : {}),
    ...conflicts,
  };
  // The privacy settings to restore when DP is switched off and on again.
  const [lastPrivacy, setLastPrivacy] = useState<Privacy>(DEFAULT_PRIVACY);
  const set = (patch: Partial<CreateRunRequest>) => setReq((r) => ({ ...r, ...patch }));
  const setStrategy = (patch: Record<string, number>) =>
    setReq((r) => ({ ...r, strategy: { ...r.strategy, ...patch } as Strategy }));
  const preset = presetById(presetId);
  const perRound = participantsPerRound(req.numNodes, req.fraction);

  const choosePreset = (id: string) => {
    setPresetId(id);
    setReq(requestFromPreset(id));
    setLastPrivacy(DEFAULT_PRIVACY);
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

  const setPrivacy = (patch: Partial<Privacy>) =>
    setReq((r) => (r.privacy ? { ...r, privacy: { ...r.privacy, ...patch } } : r));
  const setAdaptive = (patch: Partial<typeof DEFAULT_ADAPTIVE>) =>
    setReq((r) =>
      r.privacy?.adaptiveClipping
        ? {
            ...r,
            privacy: {
              ...r.privacy,
              adaptiveClipping: { ...r.privacy.adaptiveClipping, ...patch },
            },
          }
        : r,
    );
  const toggleDp = (on: boolean) => {
    if (on) set({ privacy: structuredClone(lastPrivacy) });
    else {
      if (req.privacy) setLastPrivacy(req.privacy);
      set({ privacy: undefined });
    }
  };
  const remote = req.nodeSource === "remote";
  const setNodeSource = (source: "simulated" | "remote") =>
    setReq((r) => {
      if (source === "remote") return { ...r, nodeSource: "remote" };
      // Remote-only settings go with the choice.
      const { minNodes: _m, roundTimeoutMs: _t, ...rest } = r;
      const aggregation =
        rest.aggregation?.mode === "secure"
          ? (({ stageTimeoutMs: _s, ...a }) => a)(rest.aggregation)
          : rest.aggregation;
      return { ...rest, nodeSource: "simulated", ...(aggregation ? { aggregation } : {}) };
    });
  const setAggregationMode = (mode: Aggregation["mode"]) =>
    set({ aggregation: mode === "secure" ? { mode, clipRange: 1 } : { mode } });
  const setSecure = (patch: {
    clipRange?: number;
    neighbours?: number | undefined;
    stageTimeoutMs?: number | undefined;
  }) =>
    setReq((r) =>
      r.aggregation?.mode === "secure" ? { ...r, aggregation: { ...r.aggregation, ...patch } } : r,
    );

  const s = req.strategy;
  const reward = req.reward ?? { policy: "loss-improvement", poolPerRound: "100" };
  const policy: PolicyName = reward.policy ?? "loss-improvement";
  const privacy = req.privacy;
  const aggregation = req.aggregation ?? { mode: "plain" };

  return (
    <form className="run-form" onSubmit={submit} noValidate aria-label="Configure a run">
      <div className="preset-row">
        <Field label="Preset" hint={preset?.help}>
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
              onChange={(e) => setNodeSource(e.target.value as "simulated" | "remote")}
            >
              <option value="simulated">Simulated nodes</option>
              <option value="remote">Remote node agents</option>
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
                  value={(req.roundTimeoutMs ?? 600_000) / 1000}
                  step={1}
                  min={1}
                  onChange={(v) => set({ roundTimeoutMs: Math.round(v * 1000) })}
                />
              </Field>
            </>
          )}
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
                  byzantine: req.byzantine
                    ? { ...req.byzantine, fraction }
                    : { attack: "sign-flip", fraction },
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
        <legend>Privacy and aggregation</legend>
        <div className="form-grid">
          <Field
            label="Differential privacy"
            hint={
              privacy
                ? "Each node clips its update and adds Gaussian noise before signing it; ε is reported per round."
                : undefined
            }
          >
            <select
              name="dp"
              value={privacy ? "on" : "off"}
              onChange={(e) => toggleDp(e.target.value === "on")}
            >
              <option value="off">Off</option>
              <option value="on">DP-FedAvg (noise on the nodes)</option>
            </select>
          </Field>
          {privacy && (
            <>
              <Field
                label="Clip norm (C)"
                error={errors["privacy.clipNorm"]}
                hint={privacy.adaptiveClipping ? "The initial one" : "L2 norm of a node's update"}
              >
                <NumberInput
                  name="clipNorm"
                  value={privacy.clipNorm}
                  step={0.1}
                  min={0}
                  onChange={(clipNorm) => setPrivacy({ clipNorm })}
                />
              </Field>
              <Field
                label="Noise multiplier (z)"
                error={errors["privacy.noiseMultiplier"]}
                hint={
                  privacy.noiseMultiplier === 0
                    ? "0 = clip only: no finite ε"
                    : "Per-node noise std is z × C"
                }
              >
                <NumberInput
                  name="noiseMultiplier"
                  value={privacy.noiseMultiplier}
                  step={0.1}
                  min={0}
                  onChange={(noiseMultiplier) => setPrivacy({ noiseMultiplier })}
                />
              </Field>
              <Field
                label="Clipping"
                hint={
                  privacy.adaptiveClipping ? "C tracks a quantile of the update norms" : undefined
                }
              >
                <select
                  name="clipping"
                  value={privacy.adaptiveClipping ? "adaptive" : "fixed"}
                  onChange={(e) =>
                    setPrivacy({
                      // undefined is dropped from the request (run-request.ts clean)
                      adaptiveClipping:
                        e.target.value === "adaptive" ? { ...DEFAULT_ADAPTIVE } : undefined,
                    })
                  }
                >
                  <option value="fixed">Fixed</option>
                  <option value="adaptive">Adaptive (quantile)</option>
                </select>
              </Field>
              {privacy.adaptiveClipping && (
                <>
                  <Field
                    label="Target quantile"
                    error={errors["privacy.adaptiveClipping.targetQuantile"]}
                  >
                    <NumberInput
                      name="targetQuantile"
                      value={privacy.adaptiveClipping.targetQuantile}
                      step={0.05}
                      min={0}
                      max={1}
                      onChange={(targetQuantile) => setAdaptive({ targetQuantile })}
                    />
                  </Field>
                  <Field
                    label="Clip learning rate"
                    error={errors["privacy.adaptiveClipping.learningRate"]}
                  >
                    <NumberInput
                      name="clipLearningRate"
                      value={privacy.adaptiveClipping.learningRate}
                      step={0.05}
                      min={0}
                      onChange={(learningRate) => setAdaptive({ learningRate })}
                    />
                  </Field>
                </>
              )}
              <Field
                label="δ (delta)"
                error={errors["privacy.delta"]}
                hint="ε is reported at this δ"
              >
                <NumberInput
                  name="delta"
                  value={privacy.delta}
                  min={0}
                  onChange={(delta) => setPrivacy({ delta })}
                />
              </Field>
            </>
          )}
          <Field
            label="Aggregation"
            error={errors["aggregation.mode"]}
            hint={
              aggregation.mode === "secure"
                ? "The coordinator unmasks only the sum of the updates"
                : "The coordinator sees each node's update"
            }
          >
            <select
              name="aggregation"
              value={aggregation.mode}
              onChange={(e) => setAggregationMode(e.target.value as Aggregation["mode"])}
            >
              <option value="plain">Plain</option>
              <option value="secure">Secure (SecAgg masking)</option>
            </select>
          </Field>
          {aggregation.mode === "secure" && (
            <>
              <Field
                label="Clip range (R)"
                error={errors["aggregation.clipRange"]}
                hint="Each coordinate clipped to [−R, R] before masking"
              >
                <NumberInput
                  name="clipRange"
                  value={aggregation.clipRange ?? 1}
                  step={0.1}
                  min={0}
                  onChange={(clipRange) => setSecure({ clipRange })}
                />
              </Field>
              <Field
                label="Neighbours"
                error={errors["aggregation.neighbours"]}
                hint="Empty = mask with every other node; a number = SecAgg+"
              >
                <NumberInput
                  name="neighbours"
                  value={aggregation.neighbours}
                  step={1}
                  min={2}
                  onChange={(v) => setSecure({ neighbours: Number.isNaN(v) ? undefined : v })}
                />
              </Field>
              {remote && (
                <Field
                  label="Stage timeout (s)"
                  error={errors["aggregation.stageTimeoutMs"]}
                  hint="How long each masking stage waits for slow agents (empty: 30 s)"
                >
                  <NumberInput
                    name="stageTimeoutSeconds"
                    value={
                      aggregation.stageTimeoutMs === undefined
                        ? undefined
                        : aggregation.stageTimeoutMs / 1000
                    }
                    step={1}
                    min={1}
                    onChange={(v) =>
                      setSecure({
                        stageTimeoutMs: Number.isNaN(v) ? undefined : Math.round(v * 1000),
                      })
                    }
                  />
                </Field>
              )}
            </>
          )}
        </div>
      </fieldset>

      <fieldset>
        <legend>Rewards</legend>
        <div className="form-grid">
          <Field
            label="Contribution score"
            error={errors["reward.policy"]}
            hint={POLICY_TEXT[policy].summary}
          >
            <select
              name="rewardPolicy"
              value={policy}
              onChange={(e) => set({ reward: { ...reward, policy: e.target.value as PolicyName } })}
            >
              {POLICY_NAMES.map((name) => (
                <option key={name} value={name}>
                  {POLICY_TEXT[name].label}
                </option>
              ))}
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
  "nodeSource",
  "minNodes",
  "roundTimeoutMs",
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
  "privacy.clipNorm",
  "privacy.noiseMultiplier",
  "privacy.adaptiveClipping.targetQuantile",
  "privacy.adaptiveClipping.learningRate",
  "privacy.delta",
  "aggregation.mode",
  "aggregation.clipRange",
  "aggregation.neighbours",
  "aggregation.stageTimeoutMs",
  "reward.policy",
  "reward.poolPerRound",
  "reward.permutations",
]);
