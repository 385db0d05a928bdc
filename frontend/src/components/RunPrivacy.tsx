import type { RoundRecord, RunConfig, RunSummary } from "../../../backend/src/domain/index";
import { formatNumber, formatPercent } from "../format";
import { LineChart } from "./LineChart";
import { Stat } from "./Stat";

/**
 * An epsilon as the accountant reports it. null means no finite bound: with noise multiplier 0 the
 * nodes only clip, and clipping alone gives no differential privacy.
 */
export function formatEpsilon(epsilon: number | null | undefined): string {
  if (epsilon === undefined) return "—";
  if (epsilon === null || !Number.isFinite(epsilon)) return "∞ (no noise)";
  return Number(epsilon.toPrecision(3)).toString();
}

/** δ such as 1e-5, written as people write it. */
export function formatDelta(delta: number): string {
  return delta >= 1e-3 ? String(delta) : delta.toExponential().replace("e-", "e−");
}

type AggregationConfig = RunConfig["aggregation"];

/** Runs saved before aggregation became a per-run choice have none: they were plain. */
export function aggregationOf(config: RunConfig): AggregationConfig {
  return (config as Partial<RunConfig>).aggregation ?? { mode: "plain" };
}

export function describeAggregation(a: AggregationConfig): string {
  if (a.mode === "plain") return "plain: the coordinator sees each node's update";
  const scheme =
    a.neighbours !== undefined ? `SecAgg+ with ${a.neighbours} neighbours` : "SecAgg, all pairs";
  return `secure (${scheme}, clip range ${formatNumber(a.clipRange)}): the coordinator sees only the sum`;
}

/** The run's privacy setting and the budget its accountant reports, straight from the API. */
export function PrivacySummary({ run }: { run: RunSummary }) {
  const aggregation = aggregationOf(run.config);
  const dp = run.config.privacy;
  const report = run.privacy;
  return (
    <div data-testid="privacy-summary">
      <dl className="kv">
        <dt>Aggregation</dt>
        <dd data-testid="run-aggregation">{describeAggregation(aggregation)}</dd>
        <dt>Differential privacy</dt>
        <dd data-testid="run-dp">
          {dp
            ? `DP-FedAvg, noise on the nodes: clip norm ${formatNumber(dp.clipNorm)}${dp.adaptiveClipping ? ` initially, adaptive to the ${formatNumber(dp.adaptiveClipping.targetQuantile)} quantile (learning rate ${formatNumber(dp.adaptiveClipping.learningRate)})` : " (fixed)"}, noise multiplier ${formatNumber(dp.noiseMultiplier)}, δ = ${formatDelta(dp.delta)}`
            : "off: updates are neither clipped nor noised, so no ε is reported"}
        </dd>
      </dl>
      {dp &&
        (report ? (
          <div className="stats">
            <Stat
              label={`Model ε at δ = ${formatDelta(report.delta)}`}
              value={
                dp.maxEpsilon === undefined
                  ? formatEpsilon(report.epsilon)
                  : `${formatEpsilon(report.epsilon)} of ${formatNumber(dp.maxEpsilon)}`
              }
              note={
                dp.maxEpsilon === undefined
                  ? "For anyone who sees only the global models"
                  : "For anyone who sees only the global models; the run ends before a round that would pass the budget"
              }
              testId="privacy-epsilon"
            />
            <Stat
              label={`Coordinator ε at δ = ${formatDelta(report.delta)}`}
              value={formatEpsilon(report.coordinatorEpsilon)}
              note={
                aggregation.mode === "secure"
                  ? "Against the coordinator, which sees only the sum (upper bound)"
                  : "Against the coordinator, which sees each noised update (upper bound)"
              }
              testId="privacy-coordinator-epsilon"
            />
            <Stat label="Rounds accounted" value={String(report.rounds)} testId="privacy-rounds" />
            <Stat
              label={dp.adaptiveClipping ? "Clip norm (next round)" : "Clip norm"}
              value={formatNumber(report.clipNorm)}
              testId="privacy-clip-norm"
            />
            <Stat
              label="Noise multiplier"
              value={formatNumber(report.noiseMultiplier)}
              testId="privacy-noise"
            />
          </div>
        ) : (
          <p className="muted" data-testid="privacy-pending">
            No round accounted yet: ε appears after the first round.
          </p>
        ))}
    </div>
  );
}

/** A run and its stored rounds (undefined while loading). */
interface RunWithRounds {
  run: RunSummary;
  rounds: readonly RoundRecord[] | undefined;
}

/** Per round: how it aggregated and, with DP, what it spent. Stored rounds only (the API's). */
export function PrivacyRounds({ run, rounds }: RunWithRounds) {
  const dp = run.config.privacy !== undefined;
  const done = [...(rounds ?? [])]
    .filter((r) => r.status !== "training")
    .sort((a, b) => b.round - a.round);
  if (done.length === 0) return <p className="muted">No round finished yet.</p>;
  return (
    <div className="table-wrap">
      <table data-testid="privacy-rounds-table">
        <thead>
          <tr>
            <th>Round</th>
            <th>Aggregation</th>
            {dp && (
              <>
                <th>Model ε</th>
                <th>Coordinator ε</th>
                <th>Clip norm</th>
                <th>Unclipped</th>
                <th title="Noise multiplier of the averaged update: z × √(noised updates)">
                  Aggregate z
                </th>
              </>
            )}
          </tr>
        </thead>
        <tbody>
          {done.map((r) => (
            <tr key={r.round}>
              <td>{r.round}</td>
              <td>{r.aggregation ?? "—"}</td>
              {dp &&
                (r.privacy ? (
                  <>
                    <td>{formatEpsilon(r.privacy.epsilon)}</td>
                    <td>{formatEpsilon(r.privacy.coordinatorEpsilon)}</td>
                    <td>{formatNumber(r.privacy.clipNorm)}</td>
                    <td>{formatPercent(r.privacy.unclippedFraction)}</td>
                    <td>{formatNumber(r.privacy.aggregateNoiseMultiplier)}</td>
                  </>
                ) : (
                  <td colSpan={5} className="muted">
                    not accounted
                  </td>
                ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** ε after each round, model and coordinator; rounds without a finite ε are left out. */
export function EpsilonChart({ rounds }: { rounds: readonly RoundRecord[] | undefined }) {
  const sorted = [...(rounds ?? [])].sort((a, b) => a.round - b.round);
  const points = (pick: (r: RoundRecord) => number | null | undefined) =>
    sorted.flatMap((r) => {
      const y = pick(r);
      return typeof y === "number" && Number.isFinite(y) ? [{ x: r.round, y }] : [];
    });
  return (
    <LineChart
      title="Privacy budget ε"
      xLabel="Round"
      series={[
        { name: "model ε", color: "var(--chart-1)", points: points((r) => r.privacy?.epsilon) },
        {
          name: "coordinator ε",
          color: "var(--chart-2)",
          points: points((r) => r.privacy?.coordinatorEpsilon),
        },
      ]}
      emptyText="ε after each round appears here once a round is accounted (none when the noise multiplier is 0)."
    />
  );
}

/** The Training page's privacy and aggregation card for one run. */
export function RunPrivacy({ run, rounds }: RunWithRounds) {
  const dp = run.config.privacy !== undefined;
  const secure = aggregationOf(run.config).mode === "secure";
  return (
    <section className="card" aria-label="Privacy and aggregation" data-testid="run-privacy">
      <h2>Privacy and aggregation</h2>
      <PrivacySummary run={run} />
      {(dp || secure) && (
        <>
          <PrivacyRounds run={run} rounds={rounds} />
          {dp && (
            <div className="grid-2">
              <EpsilonChart rounds={rounds} />
            </div>
          )}
        </>
      )}
    </section>
  );
}
