// "Check in this browser": the selected version loaded with tf.loadLayersModel, from the
// coordinator's URL or from the files the user downloaded, predicting the run's validation split.
import { useMutation } from "@tanstack/react-query";
import { errorMessage } from "../../api/client";
import { checkInBrowser, type ModelSource } from "../../models/browser-check";
import { formatDuration, formatPercent } from "../../format";

export interface BrowserCheckProps {
  /** The version's model.json URL. */
  modelUrl: string;
  /** The run's validation artifact; undefined while unknown. */
  validationHash: string | undefined;
  round: number;
}

export function BrowserCheckPanel({ modelUrl, validationHash, round }: BrowserCheckProps) {
  const check = useMutation({
    mutationFn: (source: ModelSource) => checkInBrowser(source, validationHash ?? ""),
  });
  const r = check.data;
  return (
    <div className="browser-check" data-testid="browser-check">
      <h3>Check it in this browser</h3>
      <p className="muted small">
        Loads version {round} with TF.js (<code>tf.loadLayersModel</code>) and predicts the
        run&apos;s validation split, the samples contributions are scored on.
      </p>
      <div className="row">
        <button
          type="button"
          className="button"
          disabled={check.isPending || !validationHash}
          onClick={() => check.mutate({ url: modelUrl })}
          data-testid="check-from-url"
        >
          {check.isPending ? "Predicting…" : "Load from the coordinator"}
        </button>
        <label className="button file-button">
          Load downloaded files…
          <input
            type="file"
            multiple
            accept=".json,.bin"
            data-testid="check-from-files"
            disabled={check.isPending || !validationHash}
            onChange={(e) => {
              const files = [...(e.target.files ?? [])];
              if (files.length) check.mutate({ files });
              e.target.value = "";
            }}
          />
        </label>
      </div>
      {check.isError && (
        <p className="bad small" role="alert">
          {errorMessage(check.error)}
        </p>
      )}
      {r && (
        <p
          className="small"
          data-testid="browser-check-result"
          data-correct={r.correct}
          data-samples={r.samples}
          data-source={check.variables && "url" in check.variables ? "url" : "files"}
          data-logits={JSON.stringify(r.firstLogits)}
        >
          {r.correct} of {r.samples} validation samples right (
          {formatPercent(r.correct / r.samples, 1)}) · {r.parameters.toLocaleString()} parameters ·
          TF.js {r.backend} backend · {formatDuration(r.ms)}
        </p>
      )}
    </div>
  );
}
