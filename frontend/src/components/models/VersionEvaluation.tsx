// A version's evaluation on its run's test split: overall loss and accuracy, accuracy per class,
// and the confusion matrix (rows: true class, columns: predicted), shaded by each row's share.
import type { VersionEvaluation as Evaluation } from "../../api/client";
import { formatNumber, formatPercent } from "../../format";

export function PerClassAccuracy({ perClass }: { perClass: readonly (number | null)[] }) {
  return (
    <table data-testid="per-class-accuracy" className="per-class">
      <thead>
        <tr>
          <th>Class</th>
          <th>Accuracy</th>
          <th aria-hidden />
        </tr>
      </thead>
      <tbody>
        {perClass.map((a, c) => (
          <tr key={c} data-class={c} data-accuracy={a ?? ""}>
            <td>{c}</td>
            <td>{a === null ? "no samples" : formatPercent(a, 1)}</td>
            <td className="bar-cell">
              <span className="bar" style={{ width: `${Math.round((a ?? 0) * 100)}%` }} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function ConfusionMatrix({ confusion }: { confusion: readonly (readonly number[])[] }) {
  const classes = confusion.length;
  return (
    <div className="table-wrap">
      <table data-testid="confusion-matrix" className="confusion">
        <caption className="muted small">Rows: true class · columns: predicted class</caption>
        <thead>
          <tr>
            <th aria-label="true class" />
            {Array.from({ length: classes }, (_, c) => (
              <th key={c} className="num">
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {confusion.map((row, t) => {
            const total = row.reduce((s, n) => s + n, 0);
            return (
              <tr key={t}>
                <th>{t}</th>
                {row.map((n, p) => {
                  const share = total ? n / total : 0;
                  return (
                    <td
                      key={p}
                      className={`num${p === t ? " diagonal" : ""}`}
                      style={{ backgroundColor: heat(share, p === t) }}
                      title={`true ${t}, predicted ${p}: ${n} (${formatPercent(share, 1)} of class ${t})`}
                    >
                      {n}
                    </td>
                  );
                })}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** The cell's shade: blue on the diagonal (right), red off it (mistakes), by the row's share. */
function heat(share: number, diagonal: boolean): string {
  if (share === 0) return "transparent";
  const alpha = (0.08 + 0.6 * share).toFixed(2);
  return diagonal ? `rgba(49, 87, 213, ${alpha})` : `rgba(200, 50, 50, ${alpha})`;
}

export function EvaluationSummary({ evaluation }: { evaluation: Evaluation }) {
  return (
    <p className="small" data-testid="evaluation-summary">
      Round {evaluation.round} on {evaluation.samples.toLocaleString()} test samples: accuracy{" "}
      <strong data-accuracy={evaluation.accuracy}>{formatPercent(evaluation.accuracy, 2)}</strong>,
      loss {formatNumber(evaluation.loss)}.
    </p>
  );
}
