// The coordinator's metrics for Prometheus (GET /metrics, text format, prom-client). Counters and
// histograms follow the run events as they are published (rounds, updates, rollbacks, chain
// records) and the chain client's calls (RPC latency and errors, gas); gauges are read when
// Prometheus scrapes (runs by status, outbox depth and age, nodes online, SSE clients, training
// workers). Process CPU, memory and event-loop lag are prom-client's default metrics.
// docs/grafana/fedledger-dashboard.json is a ready dashboard over these names.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { formatUnits } from "viem";
import type { Alert, AlertChange, RunEvent } from "../domain/index.js";
import { alertsRepo } from "../store/repos/alerts-repo.js";
import { TrainingPool } from "../engine/index.js";
import { outboxRepo } from "../store/repos/outbox-repo.js";
import { runsRepo } from "../store/repos/runs-repo.js";
import type { SqlExecutor } from "../store/sql-database.js";

/** What the scrape-time gauges read. */
export interface MetricsSources {
  db: SqlExecutor;
  /** Remote node agents online now. */
  nodesOnline: () => number;
  /** Open SSE streams. */
  sseClients: () => number;
}

/** Why an update was not aggregated, as a label with few values (the full reason is in the API). */
export function rejectionClass(reason: string | undefined): string {
  const r = reason ?? "";
  const classes: [RegExp, string][] = [
    [/round timeout/, "straggler"],
    [/^not admitted/, "not-admitted"],
    [/bad signature/, "signature"],
    [/hash does not match/, "hash"],
    [/wrong shape/, "shape"],
    [/non-finite/, "non-finite"],
    [/sample count|samples, more than/, "samples"],
    [/another run or round/, "wrong-round"],
    [/^malformed compressed update/, "malformed-payload"],
    [/not selected|trimmed|outlier|krum|median/i, "robust-filter"],
    [/failed|error|crash/i, "node-error"],
  ];
  return classes.find(([re]) => re.test(r))?.[1] ?? "other";
}

export class CoordinatorMetrics {
  readonly registry = new Registry();
  private readonly rounds: Counter<"run_id">;
  private readonly roundSeconds: Histogram;
  private readonly accuracy: Gauge<"run_id">;
  private readonly loss: Gauge<"run_id">;
  private readonly updates: Counter<"outcome" | "reason">;
  private readonly stragglers: Counter;
  private readonly rollbacks: Counter<"run_id">;
  private readonly recorded: Counter;
  private readonly minted: Counter;
  private readonly gas: Counter<"function">;
  private readonly rpcSeconds: Histogram<"outcome">;
  private readonly rpcErrors: Counter;
  private readonly bytes: Counter<"direction" | "kind">;
  private readonly alertChanges: Counter<"kind" | "severity" | "change">;

  constructor(private readonly sources: MetricsSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.rounds = new Counter({
      name: "fedledger_rounds_completed_total",
      help: "Rounds aggregated, by run",
      labelNames: ["run_id"],
      registers,
    });
    this.roundSeconds = new Histogram({
      name: "fedledger_round_duration_seconds",
      help: "Wall time of a round, from its start to its aggregated model's evaluation",
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
      registers,
    });
    this.accuracy = new Gauge({
      name: "fedledger_run_test_accuracy",
      help: "Test accuracy of the run's latest global model (0-1)",
      labelNames: ["run_id"],
      registers,
    });
    this.loss = new Gauge({
      name: "fedledger_run_test_loss",
      help: "Test loss of the run's latest global model",
      labelNames: ["run_id"],
      registers,
    });
    this.updates = new Counter({
      name: "fedledger_updates_total",
      help: "Node updates by outcome; rejected ones by reason class",
      labelNames: ["outcome", "reason"],
      registers,
    });
    this.stragglers = new Counter({
      name: "fedledger_stragglers_total",
      help: "Chosen nodes that sent no update within the round timeout",
      registers,
    });
    this.rollbacks = new Counter({
      name: "fedledger_rollbacks_total",
      help: "Rounds after which the run went back to its best version",
      labelNames: ["run_id"],
      registers,
    });
    this.bytes = modelBytesCounter(registers);
    this.recorded = new Counter({
      name: "fedledger_rounds_recorded_on_chain_total",
      help: "Rounds whose contributions and rewards were recorded on chain",
      registers,
    });
    this.minted = new Counter({
      name: "fedledger_tokens_minted_total",
      help: "Reward tokens minted by recorded rounds (whole tokens, 18 decimals)",
      registers,
    });
    this.gas = new Counter({
      name: "fedledger_gas_used_total",
      help: "Gas used by the coordinator's chain writes, by contract function",
      labelNames: ["function"],
      registers,
    });
    this.rpcSeconds = new Histogram({
      name: "fedledger_chain_rpc_duration_seconds",
      help: "Chain JSON-RPC request latency (HTTP round trip), by outcome",
      labelNames: ["outcome"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.rpcErrors = new Counter({
      name: "fedledger_chain_rpc_errors_total",
      help: "Chain JSON-RPC requests that failed (network error or HTTP status >= 400)",
      registers,
    });
    this.alertChanges = new Counter({
      name: "fedledger_alerts_total",
      help: "Alert changes (raised, cleared, acknowledged) by kind and severity",
      labelNames: ["kind", "severity", "change"],
      registers,
    });
    this.scrapeGauges(registers);
  }

  observeAlert(change: AlertChange, a: Alert): void {
    this.alertChanges.inc({ kind: a.kind, severity: a.severity, change });
  }

  /** Gauges computed when Prometheus scrapes. */
  private scrapeGauges(registers: Registry[]): void {
    const { db } = this.sources;
    new Gauge({
      name: "fedledger_runs",
      help: "Runs by status",
      labelNames: ["status"],
      registers,
      async collect() {
        const counts = await runsRepo.countByStatus(db);
        this.reset();
        for (const [status, n] of Object.entries(counts)) this.set({ status }, n);
      },
    });
    new Gauge({
      name: "fedledger_outbox_items",
      help: "Chain writes by status (pending: not yet on chain; failed: parked with a reason)",
      labelNames: ["status"],
      registers,
      async collect() {
        for (const [status, n] of Object.entries(await outboxRepo.counts(db)))
          this.set({ status }, n);
      },
    });
    new Gauge({
      name: "fedledger_outbox_oldest_pending_seconds",
      help: "Age of the oldest chain write still pending (0 when none)",
      registers,
      async collect() {
        const oldest = await outboxRepo.oldestPendingAt(db);
        this.set(oldest === null ? 0 : Math.max(0, (Date.now() - oldest) / 1000));
      },
    });
    new Gauge({
      name: "fedledger_alerts_active",
      help: "Alerts whose condition still holds, and of those how many nobody acknowledged",
      labelNames: ["state"],
      registers,
      async collect() {
        const c = await alertsRepo.counts(db);
        this.set({ state: "active" }, c.active);
        this.set({ state: "unacknowledged" }, c.unacknowledged);
      },
    });
    const { nodesOnline, sseClients } = this.sources;
    new Gauge({
      name: "fedledger_nodes_online",
      help: "Remote node agents online (polling, training, or seen in the last seconds)",
      registers,
      collect() {
        this.set(nodesOnline());
      },
    });
    new Gauge({
      name: "fedledger_sse_clients",
      help: "Open Server-Sent Events streams",
      registers,
      collect() {
        this.set(sseClients());
      },
    });
    new Gauge({
      name: "fedledger_training_workers",
      help: "Training worker threads alive, and how many run a job now",
      labelNames: ["state"],
      registers,
      collect() {
        const a = TrainingPool.activity();
        this.set({ state: "alive" }, a.workers);
        this.set({ state: "busy" }, a.busy);
      },
    });
    let counted = 0;
    new Counter({
      name: "fedledger_training_worker_busy_seconds_total",
      help: "Seconds training workers spent on jobs (rate / alive workers = utilisation)",
      registers,
      collect() {
        const now = TrainingPool.activity().busySeconds;
        if (now > counted) this.inc(now - counted);
        counted = now;
      },
    });
  }

  /** Follows one run event (RunEvents calls this for every event it publishes). */
  observeEvent(e: RunEvent): void {
    switch (e.type) {
      case "round-aggregated":
        this.rounds.inc({ run_id: e.runId });
        this.roundSeconds.observe(e.durationMs / 1000);
        if (Number.isFinite(e.testAccuracy)) this.accuracy.set({ run_id: e.runId }, e.testAccuracy);
        if (Number.isFinite(e.testLoss)) this.loss.set({ run_id: e.runId }, e.testLoss);
        if (e.traffic) {
          const t = e.traffic;
          this.bytes.inc({ direction: "upload", kind: "sent" }, t.uploadBytes);
          this.bytes.inc({ direction: "upload", kind: "raw" }, t.uploads * t.rawModelBytes);
          this.bytes.inc({ direction: "download", kind: "sent" }, t.downloadBytes);
          this.bytes.inc({ direction: "download", kind: "raw" }, t.downloads * t.rawModelBytes);
        }
        return;
      case "node-finished": {
        const reason = e.accepted ? "none" : rejectionClass(e.reason);
        this.updates.inc({ outcome: e.accepted ? "accepted" : "rejected", reason });
        if (reason === "straggler") this.stragglers.inc();
        return;
      }
      case "rollback":
        this.rollbacks.inc({ run_id: e.runId });
        return;
      case "contribution-recorded":
        this.recorded.inc();
        this.minted.inc(Number(formatUnits(BigInt(e.totalRewardWei), 18)));
        return;
      default:
    }
  }

  /** A chain write's receipt. */
  observeGas(functionName: string, gasUsed: bigint): void {
    this.gas.inc({ function: functionName }, Number(gasUsed));
  }

  /** A fetch for viem's HTTP transport that times every JSON-RPC request. */
  timedFetch(): typeof fetch {
    return async (input, init) => {
      const end = this.rpcSeconds.startTimer();
      try {
        const res = await fetch(input, init);
        end({ outcome: res.ok ? "ok" : "error" });
        if (!res.ok) this.rpcErrors.inc();
        return res;
      } catch (err) {
        end({ outcome: "error" });
        this.rpcErrors.inc();
        throw err;
      }
    };
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

/** Model bytes moved, sent and raw, by direction (the compression ratio is raw / sent). */
function modelBytesCounter(registers: Registry[]): Counter<"direction" | "kind"> {
  return new Counter({
    name: "fedledger_update_bytes_total",
    help: "Bytes of models moved between the coordinator and nodes: sent (as received or served) and raw (as float32 models would have been), by direction",
    labelNames: ["direction", "kind"],
    registers,
  });
}
