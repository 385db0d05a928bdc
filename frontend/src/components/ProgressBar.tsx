export function ProgressBar(props: {
  value: number;
  label: string;
  detail?: string;
  tone?: "default" | "ok" | "bad" | "muted";
}) {
  const pct = Math.round(Math.max(0, Math.min(1, props.value)) * 100);
  return (
    <div className={`progress progress-${props.tone ?? "default"}`}>
      <div className="progress-head">
        <span className="progress-label">{props.label}</span>
        <span className="progress-detail">{props.detail ?? `${pct}%`}</span>
      </div>
      <div
        className="progress-track"
        role="progressbar"
        aria-label={props.label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={pct}
      >
        <div className="progress-fill" style={{ width: `${pct}%` }} />
      </div>
    </div>
  );
}
