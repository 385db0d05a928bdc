// The run form: pick a preset, adjust it fieldset by fieldset, and start. It holds the request and
// validates it exactly as the coordinator will (run-request.ts); each fieldset edits its part.
import { useMemo, useState, type FormEvent, type ReactNode } from "react";
import {
  RUN_PRESETS,
  presetById,
  requestFromPreset,
  type CreateRunRequest,
} from "../../../../backend/src/domain/index";
import { ruleErrors, validateRunRequest, type FieldErrors } from "../../run-request";
import { COMPRESSION_FIELD_PATHS, CompressionFieldset } from "./CompressionFieldset";
import { DataFieldset } from "./DataFieldset";
import { FederationFieldset } from "./FederationFieldset";
import { ModelFieldset } from "./ModelFieldset";
import { PrivacyFieldset } from "./PrivacyFieldset";
import { RewardsFieldset } from "./RewardsFieldset";
import { RobustnessFieldset } from "./RobustnessFieldset";
import { DP_START, FIELD_PATHS, type Privacy } from "./catalogue";
import { EntrySelect, Field } from "./fields";

export interface RunFormProps {
  onSubmit: (request: CreateRunRequest) => void;
  submitting?: boolean;
  /** The coordinator's answer to the last submit, when it failed. */
  serverError?: string;
  initialPreset?: string;
  /** Controls for presets saved in the store (SavedPresets), given the form's settings. */
  savedPresets?: (current: CreateRunRequest, load: (r: CreateRunRequest) => void) => ReactNode;
  /** Start from this request instead of the preset's (e.g. "continue from this version"). */
  initialRequest?: CreateRunRequest;
}

/** Configure a run: pick a preset, adjust, and start. Validated with the coordinator's schema. */
export function RunForm(props: RunFormProps) {
  const [presetId, setPresetId] = useState(props.initialPreset ?? RUN_PRESETS[0]?.id ?? "");
  const [req, setReq] = useState<CreateRunRequest>(
    () => props.initialRequest ?? requestFromPreset(presetId),
  );
  const [touched, setTouched] = useState(false);
  // The privacy settings to restore when DP is switched off and on again.
  const [savedPrivacy, setSavedPrivacy] = useState<Privacy>(DP_START);
  const validation = useMemo(() => validateRunRequest(req), [req]);
  // The cross-field rules (secure aggregation's conflicts, Krum's participants, ...) show at once,
  // not only after a submit.
  const conflicts = useMemo(() => ruleErrors(req), [req]);
  const errors: FieldErrors = {
    ...(touched && !validation.ok ? validation.errors : {}),
    ...conflicts,
  };
  const preset = presetById(presetId);

  const choosePreset = (id: string) => {
    setPresetId(id);
    setReq(requestFromPreset(id));
    setSavedPrivacy(DP_START);
    setTouched(false);
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (validation.ok) props.onSubmit(validation.request);
  };

  const section = { req, errors, update: setReq };
  return (
    <form className="run-form" onSubmit={submit} noValidate aria-label="Configure a run">
      <div className="preset-row">
        <Field label="Preset" hint={preset?.help}>
          <EntrySelect
            name="preset"
            value={presetId}
            entries={RUN_PRESETS}
            onChange={choosePreset}
          />
        </Field>
      </div>
      {props.savedPresets?.(req, (r) => {
        setReq(r);
        setSavedPrivacy(DP_START);
        setTouched(false);
      })}

      <DataFieldset {...section} />
      <FederationFieldset {...section} />
      <RobustnessFieldset {...section} />
      <PrivacyFieldset {...section} savedPrivacy={savedPrivacy} onPrivacyOff={setSavedPrivacy} />
      <CompressionFieldset {...section} />
      <RewardsFieldset {...section} />
      <ModelFieldset {...section} />

      {touched && !validation.ok && (
        <p className="form-summary" role="alert">
          Fix the highlighted field{Object.keys(validation.errors).length > 1 ? "s" : ""} to start
          the run.
          {Object.entries(validation.errors)
            .filter(([path]) => !FIELD_PATHS.has(path) && !COMPRESSION_FIELD_PATHS.includes(path))
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
