// The Ledger page's re-execution of one round, in this browser: fetch the round's artifacts from
// the coordinator, check each against the hash the chain records, evaluate every model the run's
// policy evaluates with TensorFlow.js, and compare with the losses on chain, contribution by
// contribution. The same code as `npm run audit -- --recompute` (audit/recompute/recompute-run.ts).
import { useState } from "react";
import { keccak256, type Hex } from "viem";
import {
  recomputeRun,
  type RecomputeReport,
  type RecomputeSource,
} from "../../../backend/src/audit/recompute/recompute-run";
import { httpSource } from "../../../backend/src/audit/recompute/http-source";
import type { LedgerSnapshot } from "../../../backend/src/chain/ledger-events";
import { browserEvaluator } from "../audit/browser-evaluator";
import { formatTokens, shortHex } from "../format";
import { AddressText } from "./ChainLink";
import { ProgressBar } from "./ProgressBar";

interface Progress {
  fetched: number;
  evaluated: number;
}

/** Roughly how many models the run's policy evaluates for a round of n updates. */
function expectedEvaluations(policy: string | undefined, n: number, permutations: number): number {
  if (policy === "aggregate-loss") return 2;
  if (policy === "shapley-mc") return Math.max(n + 1, permutations * n + 1);
  if (policy === "shapley-quadratic") return 2 * n + 2;
  if (policy === "shapley-exact") return 2 ** n;
  return n + 2;
}

function counting(inner: RecomputeSource, onFetch: () => void): RecomputeSource {
  return {
    name: inner.name,
    refs: (id) => inner.refs(id),
    async get(hash) {
      const a = await inner.get(hash);
      onFetch();
      return a;
    },
  };
}

export function RoundReexecution(props: { snapshot: LedgerSnapshot; chainRunId: Hex }) {
  const { snapshot, chainRunId } = props;
  const run = snapshot.runs.find((r) => r.chainRunId.toLowerCase() === chainRunId.toLowerCase());
  const rounds = snapshot.rounds
    .filter((r) => r.chainRunId.toLowerCase() === chainRunId.toLowerCase())
    .map((r) => r.round)
    .sort((a, b) => a - b);
  const [chosen, setChosen] = useState<number | undefined>(undefined);
  const round = chosen ?? rounds.at(-1);
  const [progress, setProgress] = useState<Progress | undefined>(undefined);
  const [report, setReport] = useState<RecomputeReport | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [running, setRunning] = useState(false);
  if (round === undefined) return null;
  const n = snapshot.contributions.filter(
    (c) => c.chainRunId.toLowerCase() === chainRunId.toLowerCase() && c.round === round,
  ).length;
  const expected = expectedEvaluations(run?.policy?.name, n, run?.policy?.permutations ?? 0);

  const start = async () => {
    setRunning(true);
    setReport(undefined);
    setError(undefined);
    const p: Progress = { fetched: 0, evaluated: 0 };
    setProgress({ ...p });
    try {
      const result = await recomputeRun({
        snapshot,
        chainRunId,
        source: counting(httpSource(""), () => setProgress({ ...p, fetched: ++p.fetched })),
        evaluatorFor: browserEvaluator(() => setProgress({ ...p, evaluated: ++p.evaluated })),
        hash: (bytes) => keccak256(bytes),
        rounds: { from: round, to: round },
      });
      setReport(result);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setRunning(false);
    }
  };

  const value = progress
    ? 0.3 * Math.min(1, progress.fetched / (n + 4)) +
      0.7 * Math.min(1, progress.evaluated / expected)
    : 0;
  const result = report?.rounds[0];
  return (
    <section className="card" aria-label="Re-execute a round">
      <h2>Re-execute a round in this browser</h2>
      <p className="muted small">
        Fetches the round&apos;s start model, its updates, its new model, the run&apos;s spec and
        validation split from the coordinator, checks each against the hash on chain, evaluates
        every model the reward policy evaluates with TensorFlow.js here, and compares with the
        losses on chain (tolerance {report?.tolerance ?? 1e-5} relative). The command line does the
        same for every round: <code>npm run audit -- --run &lt;id&gt; --recompute</code>.
      </p>
      <div className="row">
        <label>
          Round{" "}
          <select
            value={round}
            onChange={(e) => setChosen(Number(e.target.value))}
            disabled={running}
            data-testid="reexec-round"
          >
            {rounds.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </label>{" "}
        <button
          type="button"
          onClick={() => void start()}
          disabled={running}
          data-testid="reexec-start"
        >
          {running ? "Re-executing…" : `Re-execute round ${round}`}
        </button>
      </div>
      {progress && (running || !report) && !error && (
        <ProgressBar
          value={value}
          label="Re-execution"
          detail={`${progress.fetched} artifacts fetched, ${progress.evaluated} models evaluated`}
        />
      )}
      {error && <p className="bad">Re-execution failed: {error}</p>}
      {report && (
        <div data-testid="reexec-result" data-ok={report.ok ? "true" : "false"}>
          <ul className="checks">
            {report.spec.map((c) => (
              <li key={c.id} className={c.ok ? "ok" : "bad"} title={c.detail}>
                {c.name}
                {!c.ok && <span className="small">: {c.detail}</span>}
              </li>
            ))}
          </ul>
          {result && (
            <>
              <p
                className={result.status === "verified" ? "ok" : "bad"}
                data-testid="reexec-verdict"
              >
                Round {result.round}: {result.status} ({result.detail};{" "}
                {(result.bytes / 1e6).toFixed(2)} MB fetched, {(result.ms / 1000).toFixed(1)} s)
              </p>
              <table className="table small">
                <thead>
                  <tr>
                    <th>Node</th>
                    <th>Update</th>
                    <th>Loss before (chain / here)</th>
                    <th>Loss after (chain / here)</th>
                    <th>Reward</th>
                    <th>Result</th>
                  </tr>
                </thead>
                <tbody>
                  {result.contributions.map((c) => (
                    <tr key={c.updateHash + c.node} data-status={c.status} title={c.detail}>
                      <td>
                        <AddressText address={c.node} />
                      </td>
                      <td className="mono">{shortHex(c.updateHash)}</td>
                      <td className="mono">
                        {c.recorded.lossBefore.toFixed(6)} /{" "}
                        {c.recomputed?.lossBefore.toFixed(6) ?? "–"}
                      </td>
                      <td className="mono">
                        {c.recorded.lossAfter.toFixed(6)} /{" "}
                        {c.recomputed?.lossAfter.toFixed(6) ?? "–"}
                      </td>
                      <td>{formatTokens(c.recorded.reward)}</td>
                      <td className={c.status === "verified" ? "ok" : "bad"}>
                        {c.status === "verified" ? "verified" : c.status}
                        {c.deviation !== undefined && (
                          <span className="muted small"> (Δ {c.deviation.toExponential(1)})</span>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
        </div>
      )}
    </section>
  );
}
