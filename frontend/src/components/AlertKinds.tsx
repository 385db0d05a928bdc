import {
  ALERT_KINDS,
  DEFAULT_ALERT_RULES,
  DEFAULT_ANOMALY,
  type AlertKind,
  type AlertRules,
  type AlertSeverity,
} from "../../../backend/src/domain/index";
import { formatDuration } from "../format";

const SEVERITY_TONE: Record<AlertSeverity, string> = {
  info: "info",
  warning: "warn",
  critical: "bad",
};

export function SeverityBadge({ severity }: { severity: AlertSeverity }) {
  return (
    <span className={`badge badge-${SEVERITY_TONE[severity]}`} data-severity={severity}>
      {severity}
    </span>
  );
}

interface KindInfo {
  label: string;
  /** The run's rule (RunConfig.alerts) that raises it; none for the coordinator's own. */
  rule?: keyof AlertRules;
  /** What raises it, with the default threshold. */
  when: string;
}

const d = DEFAULT_ALERT_RULES;
const pct = (x: number | null) => (x === null ? "off" : `${Math.round(x * 100)}%`);
const span = (ms: number | null) =>
  ms === null ? "off" : ms % 60_000 === 0 ? `${ms / 60_000} min` : formatDuration(ms);

export const ALERT_KIND_INFO: Record<AlertKind, KindInfo> = {
  "accuracy-drop": {
    label: "Accuracy drop",
    rule: "accuracyDropPoints",
    when: `test accuracy more than ${d.accuracyDropPoints ?? "—"} points below the run's best so far`,
  },
  "loss-diverging": {
    label: "Loss diverging",
    rule: "lossDivergenceFactor",
    when: `test loss not finite, or more than ${d.lossDivergenceFactor ?? "—"}× the run's lowest so far`,
  },
  "nodes-failing": {
    label: "Nodes failing",
    rule: "failedFraction",
    when: `more than ${pct(d.failedFraction)} of a round's chosen nodes failed, were rejected or were late`,
  },
  "node-rejected": {
    label: "Node rejected",
    rule: "rejectedStreak",
    when: `a node's update rejected ${d.rejectedStreak ?? "—"} rounds in a row`,
  },
  "update-anomaly": {
    label: "Anomalous update",
    rule: "anomalousUpdates",
    when: `an update's norm or direction is an outlier against the run's history (robust z past ${DEFAULT_ANOMALY.threshold} after ${DEFAULT_ANOMALY.minHistory} updates of history; set by anomaly in the run request)`,
  },
  "outbox-stuck": {
    label: "Chain write stuck",
    rule: "outboxPendingMs",
    when: `one of the run's chain writes pending longer than ${span(d.outboxPendingMs)}`,
  },
  "outbox-failed": {
    label: "Chain write failed",
    rule: "outboxPendingMs",
    when: "one of the run's chain writes failed for good",
  },
  "privacy-budget": {
    label: "Privacy budget",
    rule: "epsilonWarnFraction",
    when: `with privacy.maxEpsilon, the spent ε reached ${pct(d.epsilonWarnFraction)} of the cap`,
  },
  "chain-unreachable": {
    label: "Chain unreachable",
    when: "the coordinator cannot reach the chain (coordinator-wide, ALERT_* variables)",
  },
  "disk-nearly-full": {
    label: "Disk nearly full",
    when: "the artifact store's disk is nearly full (coordinator-wide, ALERT_* variables)",
  },
};

export const kindLabel = (kind: AlertKind) => ALERT_KIND_INFO[kind]?.label ?? kind;

/** What alerts exist and where their rules are set: the empty state of the alert lists. */
export function AlertRulesHelp() {
  return (
    <div className="alert-rules-help" data-testid="alert-rules-help">
      <p>
        Alert rules are set per run: <code>alerts</code> in the run request (a preset, a run file or
        POST /api/runs), where <code>{"{ <rule>: null }"}</code> switches one off. A run that says
        nothing gets the defaults below (also in <code>run.schema.json</code>, printed by{" "}
        <code>npx fedledger schema</code>). Chain unreachable and disk nearly full are the
        coordinator&apos;s own.
      </p>
      <table className="alert-kinds">
        <thead>
          <tr>
            <th>Alert</th>
            <th>Rule</th>
            <th>Raised when (defaults)</th>
          </tr>
        </thead>
        <tbody>
          {ALERT_KINDS.map((kind) => {
            const info = ALERT_KIND_INFO[kind];
            return (
              <tr key={kind}>
                <td>
                  {info.label} <span className="muted small mono">{kind}</span>
                </td>
                <td className="mono small">{info.rule ? `alerts.${info.rule}` : "—"}</td>
                <td className="wrap">{info.when}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
