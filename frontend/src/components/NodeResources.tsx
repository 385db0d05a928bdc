import { useState } from "react";
import type { UpdateAnomaly } from "../../../backend/src/domain/index";
import type { AgentResourceRow, RoundResourceRow } from "../api/node-resource-queries";
import { flaggedCounts } from "../api/node-resource-queries";
import { formatBytes, formatDuration } from "../format";
import { StatusBadge } from "./StatusBadge";

/** CPU use, 100 = one core ("—" when not reported). */
export function formatCpu(percent: number | null | undefined): string {
  return percent === null || percent === undefined || !Number.isFinite(percent)
    ? "—"
    : `${percent.toFixed(percent < 10 ? 1 : 0)} %`;
}

/** Memory in MB (2^20 bytes), one decimal. */
export function formatMb(bytes: number | null | undefined): string {
  return bytes === null || bytes === undefined || !Number.isFinite(bytes)
    ? "—"
    : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** How long ago something happened: "4 s ago", "2 min ago". */
export function formatAgo(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s ago`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ago` : `${Math.floor(m / 60)} h ago`;
}

const z = (x: number | null) => (x === null ? "n/a (too little history)" : x.toFixed(2));

/** The screening's figures, for a title: norm and cosine with their robust z-scores. */
export function anomalyTitle(a: UpdateAnomaly): string {
  return [
    `norm ${a.norm.toPrecision(4)} (z ${z(a.normZ)})`,
    `cosine to the round's mean ${a.cosine.toFixed(3)} (z ${z(a.cosineZ)})`,
    a.excluded ? "left out of the aggregate" : a.flagged ? "aggregated anyway" : "",
  ]
    .filter(Boolean)
    .join(" · ");
}

/** Remote agents' latest resource reports (sent with their progress messages). */
export function CurrentResourcesTable({
  rows,
  now = Date.now(),
}: {
  rows: readonly AgentResourceRow[];
  now?: number;
}) {
  return (
    <div className="table-wrap">
      <table data-testid="agent-resources">
        <thead>
          <tr>
            <th>Node</th>
            <th>Task</th>
            <th title="Process CPU time over the task's wall time (100 % = one core)">CPU</th>
            <th title="Resident memory of the agent's process">Memory</th>
            <th>Training time</th>
            <th title="Bytes of the agent's previous upload">Last upload</th>
            <th title="Round trip of the agent's last request to the coordinator">Latency</th>
            <th>Reported</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.nodeId} data-node={r.nodeId}>
              <td className="strong">{r.nodeId}</td>
              <td className="small">
                round {r.round} <span className="muted mono">{r.runId}</span>
              </td>
              <td data-testid="agent-cpu">{formatCpu(r.cpuPercent)}</td>
              <td data-testid="agent-memory">{formatMb(r.rssBytes)}</td>
              <td>{formatDuration(r.trainingMs)}</td>
              <td>{r.uploadBytes === 0 ? "none yet" : formatBytes(r.uploadBytes)}</td>
              <td>{r.latencyMs === null ? "—" : formatDuration(r.latencyMs)}</td>
              <td className="muted" title={new Date(r.reportedAt).toISOString()}>
                {formatAgo(now - r.reportedAt)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function AnomalyCell({ anomaly }: { anomaly: UpdateAnomaly | null }) {
  if (!anomaly) return <span className="muted">—</span>;
  const title = anomalyTitle(anomaly);
  return anomaly.flagged ? (
    <span title={title} data-testid="anomaly-flag">
      <StatusBadge status="failed" label={anomaly.excluded ? "flagged, excluded" : "flagged"} />
    </span>
  ) : (
    <span className="muted" title={title}>
      ok
    </span>
  );
}

/** Shown at first: the latest rounds (the rest behind a button). */
const FIRST_ROUNDS = 5;

/** Per round and node: what its update cost, and whether the anomaly screening flagged it. */
export function RoundResourcesTable({ rows }: { rows: readonly RoundResourceRow[] }) {
  const [all, setAll] = useState(false);
  const rounds = [...new Set(rows.map((r) => r.round))];
  const shown = all ? rows : rows.filter((r) => rounds.indexOf(r.round) < FIRST_ROUNDS);
  const flagged = [...flaggedCounts(rows)].sort((a, b) => b[1] - a[1]);
  return (
    <>
      {flagged.length > 0 ? (
        <p className="bad" data-testid="flagged-nodes">
          Flagged by the anomaly screening:{" "}
          {flagged.map(([id, n]) => `${id} (${n} round${n === 1 ? "" : "s"})`).join(", ")}
        </p>
      ) : (
        rows.some((r) => r.anomaly) && (
          <p className="muted small">No update of this run was flagged as anomalous.</p>
        )
      )}
      <div className="table-wrap">
        <table data-testid="round-resources">
          <thead>
            <tr>
              <th>Round</th>
              <th>Node</th>
              <th>Update</th>
              <th title="From the task's start to the update's arrival at the coordinator">
                Training time
              </th>
              <th title="Bytes received">Upload</th>
              <th title="The agent's report (simulated nodes share the coordinator's)">CPU</th>
              <th>Memory</th>
              <th>Latency</th>
              <th title="Robust z-scores of the update's norm and cosine against the run's history">
                Anomaly
              </th>
            </tr>
          </thead>
          <tbody>
            {shown.map((r) => (
              <tr
                key={`${r.round}/${r.nodeId}`}
                data-node={r.nodeId}
                data-round={r.round}
                className={r.anomaly?.flagged ? "anomalous" : undefined}
              >
                <td>{r.round}</td>
                <td className="strong">{r.nodeId}</td>
                <td>
                  <StatusBadge
                    status={r.accepted ? "accepted" : "rejected"}
                    label={r.accepted ? "accepted" : "rejected"}
                  />
                  {r.reason && <div className="muted small">{r.reason}</div>}
                </td>
                <td>{formatDuration(r.resources?.trainingMs)}</td>
                <td>{formatBytes(r.resources?.uploadBytes)}</td>
                <td>{formatCpu(r.resources?.cpuPercent)}</td>
                <td>{formatMb(r.resources?.rssBytes)}</td>
                <td>{formatDuration(r.resources?.latencyMs)}</td>
                <td>
                  <AnomalyCell anomaly={r.anomaly} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {rounds.length > FIRST_ROUNDS && (
        <button type="button" className="link-button" onClick={() => setAll(!all)}>
          {all ? `Show the latest ${FIRST_ROUNDS} rounds` : `Show all ${rounds.length} rounds`}
        </button>
      )}
    </>
  );
}
