import type { CoordinatorProcess } from "../api/node-resource-queries";
import { formatDuration } from "../format";
import { formatCpu, formatMb } from "./NodeResources";

/** Event-loop delay worth a warning: the API answers this late at the 99th percentile. */
const LAG_WARN_MS = 100;

/** The coordinator's own resource use (GET /api/health `process`), on the Overview page. */
export function CoordinatorResources({
  usage,
  pending = false,
}: {
  usage: CoordinatorProcess | undefined;
  pending?: boolean;
}) {
  return (
    <section className="card" aria-label="Coordinator resources">
      <h2>Coordinator resources</h2>
      {!usage ? (
        <p className="muted">
          {pending ? "Asking the coordinator…" : "The coordinator does not report its resources."}
        </p>
      ) : (
        <dl className="kv" data-testid="coordinator-resources">
          <dt>CPU</dt>
          <dd data-testid="coordinator-cpu" title="Process CPU time, worker threads included">
            {formatCpu(usage.cpuPercent)}{" "}
            <span className="muted small">over the last {formatDuration(usage.windowMs)}</span>
          </dd>
          <dt>Memory</dt>
          <dd data-testid="coordinator-memory">
            {formatMb(usage.rssBytes)}{" "}
            <span className="muted small">
              (heap {formatMb(usage.heapUsedBytes)} of {formatMb(usage.heapTotalBytes)})
            </span>
          </dd>
          <dt>Event-loop lag</dt>
          <dd
            data-testid="coordinator-lag"
            className={usage.eventLoopLagMs.p99 >= LAG_WARN_MS ? "bad" : undefined}
            title="How late the event loop ran its timers (perf_hooks monitorEventLoopDelay)"
          >
            p99 {usage.eventLoopLagMs.p99.toFixed(1)} ms{" "}
            <span className="muted small">
              (mean {usage.eventLoopLagMs.mean.toFixed(1)}, max{" "}
              {usage.eventLoopLagMs.max.toFixed(1)})
            </span>
          </dd>
          <dt>Training workers</dt>
          <dd data-testid="coordinator-workers">
            {usage.trainingWorkers.busy} of {usage.trainingWorkers.alive} busy
          </dd>
          <dt>Process uptime</dt>
          <dd>{formatDuration(usage.uptimeSeconds * 1000)}</dd>
        </dl>
      )}
    </section>
  );
}
