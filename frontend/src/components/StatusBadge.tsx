const TONES: Record<string, string> = {
  running: "info",
  training: "info",
  pending: "muted",
  queued: "muted",
  paused: "warn",
  stopped: "muted",
  completed: "ok",
  recorded: "ok",
  aggregated: "info",
  accepted: "ok",
  rejected: "bad",
  failed: "bad",
  registered: "muted",
  idle: "ok",
  offline: "bad",
  refusing: "warn",
  waiting: "muted",
  ok: "ok",
  degraded: "warn",
  down: "bad",
};

export function StatusBadge({ status, label }: { status: string; label?: string }) {
  return (
    <span className={`badge badge-${TONES[status] ?? "muted"}`} data-status={status}>
      {label ?? status}
    </span>
  );
}
