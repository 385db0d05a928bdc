import type { Alert } from "../../../backend/src/domain/index";
import {
  ALERT_STATUSES,
  acknowledgeErrorMessage,
  useAcknowledgeAlert,
  useAlerts,
  type AlertStatus,
} from "../api/alert-queries";
import { useRuns } from "../api/queries";
import { AdminTokenField } from "../components/AdminTokenField";
import { AlertRulesHelp, SeverityBadge, kindLabel } from "../components/AlertKinds";
import { ApiErrorNotice, Notice } from "../components/Notice";
import { formatTime } from "../format";
import { href, navigate, type Route } from "../router";

const STATUS_LABELS: Record<AlertStatus, string> = {
  active: "Active",
  unacknowledged: "Active, not acknowledged",
  all: "All, cleared too",
};

const EMPTY_TITLES: Record<AlertStatus, string> = {
  active: "No active alerts",
  unacknowledged: "No alerts waiting for acknowledgement",
  all: "No alerts raised yet",
};

function parseStatus(value: string | null): AlertStatus {
  return ALERT_STATUSES.find((s) => s === value) ?? "active";
}

function AcknowledgeButton({ alert }: { alert: Alert }) {
  const ack = useAcknowledgeAlert();
  return (
    <div className="alert-ack">
      <button
        type="button"
        className="button"
        disabled={ack.isPending}
        onClick={() => ack.mutate(alert.id)}
        data-testid={`acknowledge-${alert.id}`}
      >
        {ack.isPending ? "Acknowledging…" : "Acknowledge"}
      </button>
      {ack.isError && (
        <span className="wallet-error" role="alert">
          {acknowledgeErrorMessage(ack.error)}
        </span>
      )}
    </div>
  );
}

/** When an alert was raised, and cleared or acknowledged since. */
function AlertTimes({ alert }: { alert: Alert }) {
  return (
    <div className="alert-times">
      <span>{formatTime(alert.raisedAt)}</span>
      {alert.clearedAt !== null && (
        <span className="muted small">cleared {formatTime(alert.clearedAt)}</span>
      )}
      {alert.acknowledgedAt !== null && (
        <span className="muted small">acknowledged {formatTime(alert.acknowledgedAt)}</span>
      )}
    </div>
  );
}

function AlertRow({ alert, runName }: { alert: Alert; runName: string | undefined }) {
  const active = alert.clearedAt === null;
  return (
    <tr
      className={active ? `alert-row alert-row-${alert.severity}` : "alert-row alert-row-cleared"}
      data-testid="alert-row"
      data-alert-id={alert.id}
    >
      <td>
        <SeverityBadge severity={alert.severity} />
      </td>
      <td>
        {kindLabel(alert.kind)}
        <div className="muted small mono">{alert.kind}</div>
      </td>
      <td>
        <AlertTimes alert={alert} />
      </td>
      <td>
        {alert.runId ? (
          <a href={href("/training", { run: alert.runId })} title={alert.runId}>
            {runName ?? alert.runId}
          </a>
        ) : (
          <span className="muted">coordinator</span>
        )}
        {alert.nodeId && (
          <div className="small">
            node{" "}
            <a className="mono" href={href("/nodes", { run: alert.runId ?? undefined })}>
              {alert.nodeId}
            </a>
          </div>
        )}
      </td>
      <td className="wrap">
        <div>{alert.message}</div>
        <div className="alert-todo small">
          <span className="strong">What to do:</span> {alert.action}
        </div>
      </td>
      <td>
        {active && alert.acknowledgedAt === null ? (
          <AcknowledgeButton alert={alert} />
        ) : (
          <span className="muted small">{active ? "acknowledged" : "cleared"}</span>
        )}
      </td>
    </tr>
  );
}

export function AlertsPage({ route }: { route: Route }) {
  const status = parseStatus(route.query.get("status"));
  const run = route.query.get("run") ?? "";
  const alerts = useAlerts({ status, ...(run ? { run } : {}) });
  const runs = useRuns();
  const runNames = new Map((runs.data ?? []).map((r) => [r.id, r.name]));
  const setFilter = (patch: { status?: string; run?: string }) =>
    navigate("/alerts", { status, run, ...patch });
  const list = alerts.data?.alerts ?? [];
  const counts = alerts.data?.counts;
  const runOptions = [...(runs.data ?? [])].sort((a, b) => b.createdAt - a.createdAt);

  return (
    <div className="page alerts-page">
      <h1>Alerts</h1>
      <p className="muted">
        Raised by each run&apos;s alert rules while it trains (and by the coordinator for the chain
        and the disk), cleared when the condition ends. This page follows them live.
      </p>
      <AdminTokenField />
      {alerts.isError && <ApiErrorNotice error={alerts.error} what="alerts" />}
      <section className="card">
        <div className="filters" role="search">
          <label className="field inline">
            <span className="field-label">Show</span>
            <select
              value={status}
              onChange={(e) => setFilter({ status: e.target.value })}
              data-testid="alerts-status"
            >
              {ALERT_STATUSES.map((s) => (
                <option key={s} value={s}>
                  {STATUS_LABELS[s]}
                </option>
              ))}
            </select>
          </label>
          <label className="field inline">
            <span className="field-label">Run</span>
            <select
              value={run}
              onChange={(e) => setFilter({ run: e.target.value })}
              data-testid="alerts-run"
            >
              <option value="">All runs</option>
              {run && !runNames.has(run) && <option value={run}>{run}</option>}
              {runOptions.map((r) => (
                <option key={r.id} value={r.id}>
                  {r.name}
                </option>
              ))}
            </select>
          </label>
          {counts && (
            <span className="muted small filters-total" data-testid="alerts-counts">
              {counts.active} active · {counts.unacknowledged} not acknowledged
              {run ? " (all runs)" : ""}
            </span>
          )}
        </div>
        {alerts.isSuccess && list.length === 0 ? (
          <Notice kind="empty" title={EMPTY_TITLES[status]}>
            <AlertRulesHelp />
          </Notice>
        ) : (
          list.length > 0 && (
            <div className="table-wrap">
              <table className="alerts-table" data-testid="alerts-table">
                <thead>
                  <tr>
                    <th>Severity</th>
                    <th>Alert</th>
                    <th>Raised</th>
                    <th>Run / node</th>
                    <th>What happened</th>
                    <th />
                  </tr>
                </thead>
                <tbody>
                  {list.map((a) => (
                    <AlertRow
                      key={a.id}
                      alert={a}
                      runName={a.runId ? runNames.get(a.runId) : undefined}
                    />
                  ))}
                </tbody>
              </table>
            </div>
          )
        )}
        {alerts.isPending && <p className="muted">Loading alerts…</p>}
      </section>
      {list.length > 0 && (
        <details className="card alert-rules-card">
          <summary>Which alerts exist, and where their rules are set</summary>
          <AlertRulesHelp />
        </details>
      )}
    </div>
  );
}
