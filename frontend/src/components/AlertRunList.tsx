import { useAlerts, useLiveAlerts, worstSeverity } from "../api/alert-queries";
import { formatTime } from "../format";
import { href } from "../router";
import { SeverityBadge, kindLabel } from "./AlertKinds";

const SHOWN = 5;

/**
 * A run's active alerts, compact, for its training view: nothing while there are none. Follows the
 * alert stream; acknowledging is on the Alerts page.
 */
export function AlertRunList({ runId }: { runId: string }) {
  useLiveAlerts();
  const alerts = useAlerts({ status: "active", run: runId });
  const list = alerts.data?.alerts ?? [];
  if (list.length === 0) return null;
  const more = list.length - SHOWN;
  return (
    <div
      className={`run-alerts run-alerts-${worstSeverity(list) ?? "info"}`}
      data-testid="run-alerts"
      aria-label="Active alerts"
    >
      <div className="run-alerts-head">
        <span className="strong">
          {list.length} active alert{list.length === 1 ? "" : "s"}
        </span>
        <a href={href("/alerts", { status: "active", run: runId })} className="small">
          Open in Alerts{more > 0 ? ` (${more} more)` : ""} →
        </a>
      </div>
      <ul>
        {list.slice(0, SHOWN).map((a) => (
          <li key={a.id} data-testid="run-alert" title={`What to do: ${a.action}`}>
            <SeverityBadge severity={a.severity} />
            <span className="strong">{kindLabel(a.kind)}</span>
            {a.nodeId && <span className="mono small">{a.nodeId}</span>}
            <span className="run-alert-message">{a.message}</span>
            <span className="muted small">
              {formatTime(a.raisedAt)}
              {a.acknowledgedAt !== null ? " · acknowledged" : ""}
            </span>
          </li>
        ))}
      </ul>
    </div>
  );
}
