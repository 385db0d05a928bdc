// A run's Models section: its versions (the model registry) with an accuracy sparkline, downloads
// of the selected version, its evaluation (per-class accuracy, confusion matrix), a check in this
// browser with TF.js, and "continue from this version" (a new run warm-started from it).
import { useState } from "react";
import type { RunSummary } from "../../../../backend/src/domain/index";
import { versionUrls, type ModelVersion } from "../../api/client";
import { useEvaluation, useModels, useValidationHash } from "../../api/queries";
import { formatBytes, shortHex } from "../../format";
import { navigate } from "../../router";
import { ApiErrorNotice } from "../Notice";
import { BrowserCheckPanel } from "./BrowserCheck";
import { Sparkline } from "./Sparkline";
import { ConfusionMatrix, EvaluationSummary, PerClassAccuracy } from "./VersionEvaluation";
import { VersionsTable } from "./VersionsTable";

/** The version shown first: the best one, else the latest stored. */
export function defaultVersion(versions: readonly ModelVersion[]): ModelVersion | undefined {
  return versions.find((v) => v.best) ?? versions.filter((v) => v.stored).at(-1);
}

export function ModelsSection({ run, chainId }: { run: RunSummary; chainId?: number | undefined }) {
  const live = !["completed", "stopped", "failed"].includes(run.status);
  const models = useModels(run.id, live);
  const [picked, setPicked] = useState<number | undefined>();
  const versions = models.data ?? [];
  const selected = versions.find((v) => v.round === picked) ?? defaultVersion(versions);
  const best = versions.find((v) => v.best);
  const stored = versions.filter((v) => v.stored);
  return (
    <section className="card" data-testid="models-section" aria-label="Models">
      <div className="card-head">
        <h2>Models</h2>
        <Sparkline
          label="Test accuracy by version"
          points={versions
            .filter((v) => v.round > 0 && v.testAccuracy !== null)
            .map((v) => ({ x: v.round, y: v.testAccuracy! }))}
          highlight={best?.round}
          yDomain={[0, 1]}
        />
      </div>
      {models.isError && <ApiErrorNotice error={models.error} what="model versions" />}
      {versions.length === 0 ? (
        <p className="muted">Every round&apos;s global model appears here as a version.</p>
      ) : (
        <>
          <p className="muted small">
            {versions.length} version(s), {stored.length} stored (
            {formatBytes(stored.reduce((s, v) => s + v.bytes, 0))}); retention keeps{" "}
            {describeRetention(run)}.
          </p>
          <div className="grid-2">
            <VersionsTable
              versions={versions}
              selected={selected?.round}
              onSelect={setPicked}
              chainId={chainId}
            />
            {selected && <SelectedVersion run={run} version={selected} />}
          </div>
        </>
      )}
    </section>
  );
}

function describeRetention(run: RunSummary): string {
  const m = run.config.retention.models;
  const kept =
    m.keep === "all"
      ? "every version"
      : m.keep === "every"
        ? `every ${m.k}th version`
        : `the last ${m.last} version(s)`;
  return `${kept}${run.config.keepBest ? " and the best" : ""}`;
}

function SelectedVersion({ run, version }: { run: RunSummary; version: ModelVersion }) {
  const urls = versionUrls(run.id, version);
  const evaluation = useEvaluation(run.id, version.stored ? version : undefined);
  const validation = useValidationHash(run.id);
  return (
    <div className="selected-version" data-testid="selected-version" data-round={version.round}>
      <h3>
        Version {version.round}{" "}
        <span className="mono muted small">{shortHex(version.hash, 10, 6)}</span>
      </h3>
      {!version.stored ? (
        <p className="muted">
          Pruned by the run&apos;s retention policy: its hash and metrics stay, its weights are
          gone.
        </p>
      ) : (
        <>
          <div className="row downloads">
            <a
              className="button"
              href={urls.modelJson}
              download="model.json"
              data-testid="download-model-json"
            >
              model.json
            </a>
            <a
              className="button"
              href={urls.weightsBin}
              download="weights.bin"
              data-testid="download-weights-bin"
            >
              weights.bin
            </a>
            <a
              className="button"
              href={urls.raw}
              download={`${version.hash}.f32`}
              data-testid="download-raw"
              title="float32 little-endian, in the model's parameter order; keccak256 = the hash on chain"
            >
              Raw weights
            </a>
            <button
              type="button"
              className="button primary"
              data-testid="continue-from-version"
              onClick={() => navigate("/training", { from: run.id, round: version.round })}
            >
              Continue from this version
            </button>
          </div>
          <p className="muted small">
            Save model.json and weights.bin in one folder and load them with{" "}
            <code>tf.loadLayersModel</code>; the last layer gives logits (apply softmax for
            probabilities).
          </p>
          {evaluation.isError && <ApiErrorNotice error={evaluation.error} what="the evaluation" />}
          {evaluation.isPending && <p className="muted small">Evaluating on the test split…</p>}
          {evaluation.data && (
            <>
              <EvaluationSummary evaluation={evaluation.data} />
              <PerClassAccuracy perClass={evaluation.data.perClassAccuracy} />
              <ConfusionMatrix confusion={evaluation.data.confusion} />
            </>
          )}
          <BrowserCheckPanel
            modelUrl={urls.modelJson}
            validationHash={validation.data ?? undefined}
            round={version.round}
          />
        </>
      )}
    </div>
  );
}
