/** One figure of a summary card: its label, its value (with a test id) and an optional note. */
export function Stat(props: { label: string; value: string; note?: string; testId?: string }) {
  return (
    <div className="stat">
      <span className="stat-label">{props.label}</span>
      <span className="stat-value" data-testid={props.testId}>
        {props.value}
      </span>
      {props.note && <span className="muted small">{props.note}</span>}
    </div>
  );
}
