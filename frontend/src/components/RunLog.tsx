import { useEffect, useRef } from "react";
import type { LogLine } from "../api/run-progress";

/** The run's log; follows new lines unless the reader has scrolled up. */
export function RunLog({ lines }: { lines: readonly LogLine[] }) {
  const box = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  const last = lines.at(-1)?.seq;
  useEffect(() => {
    const el = box.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [last]);
  return (
    <div
      className="run-log"
      ref={box}
      role="log"
      aria-live="polite"
      data-testid="run-log"
      onScroll={(e) => {
        const el = e.currentTarget;
        stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
      }}
    >
      {lines.length === 0 ? (
        <p className="muted">No log lines yet.</p>
      ) : (
        lines.map((l) => (
          <div key={l.seq} className={`log-line log-${l.level}`}>
            <span className="log-level">{l.level}</span> {l.message}
          </div>
        ))
      )}
    </div>
  );
}
