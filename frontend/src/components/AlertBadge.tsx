import type { AlertSeverity } from "../../../backend/src/domain/index";
import { useAlerts, useLiveAlerts, worstSeverity } from "../api/alert-queries";
import { href } from "../router";

const TONE: Record<AlertSeverity, string> = { info: "info", warning: "warn", critical: "bad" };

/**
 * The active alerts nobody acknowledged yet, coloured by the worst of them, linking to the Alerts
 * page. Nothing shows at zero (or while the coordinator does not answer: its own pill says so).
 * Mounted in the header, it also keeps every alert list of the page live from the alert stream.
 */
export function AlertBadge() {
  useLiveAlerts();
  const alerts = useAlerts({ status: "unacknowledged" });
  const count = alerts.data?.counts.unacknowledged ?? 0;
  if (count === 0) return null;
  const list = alerts.data?.alerts ?? [];
  const worst = worstSeverity(list) ?? "info";
  const bySeverity = (["critical", "warning", "info"] as const)
    .map((s) => [s, list.filter((a) => a.severity === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`)
    .join(", ");
  return (
    <a
      href={href("/alerts", { status: "unacknowledged" })}
      className={`status-pill alert-pill alert-pill-${TONE[worst]}`}
      data-testid="alert-badge"
      data-severity={worst}
      data-count={count}
      title={`${count} active alert${count === 1 ? "" : "s"} not acknowledged${bySeverity ? ` (${bySeverity})` : ""}`}
    >
      <span aria-hidden="true">⚠</span>
      {count} alert{count === 1 ? "" : "s"}
    </a>
  );
}
