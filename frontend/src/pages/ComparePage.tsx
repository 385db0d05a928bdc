// Compare 2 to 5 runs: accuracy and loss curves overlaid by round or by wall time, the settings
// that differ, and each run's final metrics (the same as `fedledger compare`).
import { useQueries } from "@tanstack/react-query";
import { useState } from "react";
import {
  differingSettings,
  finalMetrics,
  MAX_COMPARED,
  MIN_COMPARED,
  runCurve,
  type RoundRecord,
  type RunSummary,
} from "../../../backend/src/domain/index";
import { api } from "../api/client";
import { queryKeys, useRuns } from "../api/queries";
import { LineChart, type ChartSeries } from "../components/LineChart";
import { ApiErrorNotice, Notice } from "../components/Notice";
import { StatusBadge } from "../components/StatusBadge";
import { formatNumber, formatPercent, formatTokens } from "../format";
import { navigate, type Route } from "../router";

const COLORS = ["var(--chart-1)", "var(--chart-2)", "#d97706", "#7c3aed", "#059669"];

/** The run ids in `?runs=a,b,c`, distinct, at most MAX_COMPARED. */
export function comparedIds(route: Route): string[] {
  const raw = route.query.get("runs") ?? "";
  return [...new Set(raw.split(",").filter(Boolean))].slice(0, MAX_COMPARED);
}

function Picker({ runs, ids }: { runs: readonly RunSummary[]; ids: string[] }) {
  const toggle = (id: string) => {
    const next = ids.includes(id) ? ids.filter((x) => x !== id) : [...ids, id];
    navigate("/compare", { runs: next.join(",") });
  };
  return (
    <fieldset className="compare-picker" data-testid="compare-picker">
      <legend>
        Pick {MIN_COMPARED} to {MAX_COMPARED} runs
      </legend>
      {[...runs]
        .sort((a, b) => b.createdAt - a.createdAt)
        .map((r) => (
          <label key={r.id}>
            <input
              type="checkbox"
              checked={ids.includes(r.id)}
              disabled={!ids.includes(r.id) && ids.length >= MAX_COMPARED}
              onChange={() => toggle(r.id)}
              data-run-id={r.id}
            />
            {r.name} <span className="muted small mono">{r.id}</span>{" "}
            <StatusBadge status={r.status} />
          </label>
        ))}
    </fieldset>
  );
}

function Curves({ runs, rounds }: { runs: RunSummary[]; rounds: RoundRecord[][] }) {
  const [axis, setAxis] = useState<"round" | "time">("round");
  const curves = rounds.map(runCurve);
  const series = (metric: "accuracy" | "loss"): ChartSeries[] =>
    runs.map((r, i) => ({
      name: `${r.name} (${r.id})`,
      color: COLORS[i % COLORS.length]!,
      points: curves[i]!.map((p) => ({
        x: axis === "round" ? p.round : Number(p.seconds.toFixed(2)),
        y: p[metric],
      })),
    }));
  const xLabel = axis === "round" ? "Round" : "Wall time (s)";
  const base = `compare-${runs.map((r) => r.id).join("-")}`;
  return (
    <>
      <div className="row" role="radiogroup" aria-label="x axis">
        {(["round", "time"] as const).map((a) => (
          <label key={a}>
            <input
              type="radio"
              name="compare-axis"
              checked={axis === a}
              onChange={() => setAxis(a)}
              data-testid={`axis-${a}`}
            />{" "}
            by {a === "round" ? "round" : "wall time"}
          </label>
        ))}
      </div>
      <div className="grid-2" data-testid="compare-charts">
        <section className="card">
          <LineChart
            title="Test accuracy"
            xLabel={xLabel}
            yDomain={[0, 1]}
            yFormat={(y) => `${Math.round(y * 100)}%`}
            series={series("accuracy")}
            download={base}
          />
        </section>
        <section className="card">
          <LineChart
            title="Test loss"
            xLabel={xLabel}
            yFormat={(y) => y.toFixed(2)}
            series={series("loss")}
            download={base}
          />
        </section>
      </div>
    </>
  );
}

function Tables({ runs, rounds }: { runs: RunSummary[]; rounds: RoundRecord[][] }) {
  const diffs = differingSettings(runs);
  const metrics = rounds.map(finalMetrics);
  const head = (
    <tr>
      <th />
      {runs.map((r) => (
        <th key={r.id}>
          {r.name} <span className="muted small mono">{r.id}</span>
        </th>
      ))}
    </tr>
  );
  const metricRows: [string, (m: (typeof metrics)[number]) => string][] = [
    ["Final accuracy", (m) => formatPercent(m.finalAccuracy, 2)],
    ["Best accuracy", (m) => formatPercent(m.bestAccuracy, 2)],
    ["Final loss", (m) => formatNumber(m.finalLoss)],
    ["Rounds", (m) => String(m.rounds)],
    ["Wall time", (m) => (m.wallSeconds === null ? "—" : `${m.wallSeconds.toFixed(1)} s`)],
    ["Rewards", (m) => formatTokens(m.rewardWei, 2)],
  ];
  return (
    <div className="grid-2">
      <section className="card">
        <h2>Settings that differ</h2>
        {diffs.length === 0 ? (
          <p className="muted">None: the runs have the same settings.</p>
        ) : (
          <div className="table-wrap">
            <table data-testid="compare-settings">
              <thead>{head}</thead>
              <tbody>
                {diffs.map((d) => (
                  <tr key={d.setting}>
                    <td className="mono">{d.setting}</td>
                    {d.values.map((v, i) => (
                      <td key={runs[i]!.id}>{v || "—"}</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section className="card">
        <h2>Final metrics</h2>
        <div className="table-wrap">
          <table data-testid="compare-metrics">
            <thead>{head}</thead>
            <tbody>
              {metricRows.map(([label, f]) => (
                <tr key={label}>
                  <td>{label}</td>
                  {metrics.map((m, i) => (
                    <td key={runs[i]!.id}>{f(m)}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </div>
  );
}

export function ComparePage({ route }: { route: Route }) {
  const runs = useRuns();
  const ids = comparedIds(route);
  const chosen = ids
    .map((id) => runs.data?.find((r) => r.id === id))
    .filter((r): r is RunSummary => r !== undefined);
  const rounds = useQueries({
    queries: chosen.map((r) => ({
      queryKey: queryKeys.rounds(r.id),
      queryFn: () => api.rounds(r.id),
      refetchInterval: 6_000,
    })),
  });
  const loaded = rounds.every((q) => q.isSuccess);
  const failed = rounds.find((q) => q.isError);
  return (
    <div className="page">
      <div className="page-head">
        <h1>Compare runs</h1>
      </div>
      {runs.isError && <ApiErrorNotice error={runs.error} what="runs" />}
      {runs.data && <Picker runs={runs.data} ids={ids} />}
      {failed && <ApiErrorNotice error={failed.error} what="rounds" />}
      {chosen.length < MIN_COMPARED ? (
        <Notice kind="empty" title="Pick runs to compare">
          Tick {MIN_COMPARED} to {MAX_COMPARED} runs above: their accuracy and loss curves are
          overlaid, by round or by wall time, with the settings that differ and their final metrics.
          From a shell: <code>fedledger compare &lt;id&gt; &lt;id&gt;</code>.
        </Notice>
      ) : (
        loaded && (
          <>
            <Curves runs={chosen} rounds={rounds.map((q) => q.data!)} />
            <Tables runs={chosen} rounds={rounds.map((q) => q.data!)} />
          </>
        )
      )}
    </div>
  );
}
