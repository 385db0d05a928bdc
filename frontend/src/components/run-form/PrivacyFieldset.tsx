// "Privacy and aggregation": DP-FedAvg (clipping and noise on the nodes) and secure aggregation.
import {
  ADAPTIVE_CLIPPING,
  SECURE_AGGREGATION,
  type Aggregation,
  type Privacy,
  type SectionProps,
} from "./catalogue";
import { Field, NumberInput } from "./fields";

type SecureAggregation = Extract<Aggregation, { mode: "secure" }>;

export interface PrivacyFieldsetProps extends SectionProps {
  /** The settings switching DP on restores (the last ones switched off, or the preset's). */
  savedPrivacy: Privacy;
  onPrivacyOff: (last: Privacy) => void;
}

export function PrivacyFieldset(props: PrivacyFieldsetProps) {
  const { req, errors, update } = props;
  const privacy = req.privacy;
  const aggregation = req.aggregation ?? { mode: "plain" };

  const toggleDp = (on: boolean) => {
    if (on) update((r) => ({ ...r, privacy: structuredClone(props.savedPrivacy) }));
    else {
      if (req.privacy) props.onPrivacyOff(req.privacy);
      update((r) => ({ ...r, privacy: undefined }));
    }
  };
  const setPrivacy = (patch: Partial<Privacy>) =>
    update((r) => (r.privacy ? { ...r, privacy: { ...r.privacy, ...patch } } : r));
  const setAdaptive = (patch: Partial<typeof ADAPTIVE_CLIPPING>) =>
    update((r) =>
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
  const setSecure = (patch: Partial<Omit<SecureAggregation, "mode">>) =>
    update((r) =>
      r.aggregation?.mode === "secure" ? { ...r, aggregation: { ...r.aggregation, ...patch } } : r,
    );

  return (
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
                      e.target.value === "adaptive" ? { ...ADAPTIVE_CLIPPING } : undefined,
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
            <Field label="δ (delta)" error={errors["privacy.delta"]} hint="ε is reported at this δ">
              <NumberInput
                name="delta"
                value={privacy.delta}
                min={0}
                onChange={(delta) => setPrivacy({ delta })}
              />
            </Field>
            <Field
              label="Privacy budget (max ε)"
              error={errors["privacy.maxEpsilon"]}
              hint="Optional: the run ends before a round that would take the model ε past it"
            >
              <NumberInput
                name="maxEpsilon"
                value={privacy.maxEpsilon}
                min={0}
                placeholder="none"
                onChange={(v) =>
                  update((r) => {
                    if (!r.privacy) return r;
                    const { maxEpsilon: _cap, ...rest } = r.privacy;
                    return { ...r, privacy: Number.isNaN(v) ? rest : { ...rest, maxEpsilon: v } };
                  })
                }
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
            onChange={(e) =>
              update((r) => ({
                ...r,
                aggregation:
                  e.target.value === "secure" ? { ...SECURE_AGGREGATION } : { mode: "plain" },
              }))
            }
          >
            <option value="plain">Plain</option>
            <option value="secure">Secure (SecAgg masking)</option>
          </select>
        </Field>
        {aggregation.mode === "secure" && (
          <SecureFields
            aggregation={aggregation}
            remote={req.nodeSource === "remote"}
            errors={errors}
            set={setSecure}
          />
        )}
      </div>
    </fieldset>
  );
}

function SecureFields(props: {
  aggregation: SecureAggregation;
  remote: boolean;
  errors: SectionProps["errors"];
  set: (patch: Partial<Omit<SecureAggregation, "mode">>) => void;
}) {
  const { aggregation, errors, set } = props;
  return (
    <>
      <Field
        label="Clip range (R)"
        error={errors["aggregation.clipRange"]}
        hint="Each coordinate clipped to [−R, R] before masking"
      >
        <NumberInput
          name="clipRange"
          value={aggregation.clipRange ?? SECURE_AGGREGATION.clipRange}
          step={0.1}
          min={0}
          onChange={(clipRange) => set({ clipRange })}
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
          onChange={(v) => set({ neighbours: Number.isNaN(v) ? undefined : v })}
        />
      </Field>
      {props.remote && (
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
              set({ stageTimeoutMs: Number.isNaN(v) ? undefined : Math.round(v * 1000) })
            }
          />
        </Field>
      )}
    </>
  );
}
