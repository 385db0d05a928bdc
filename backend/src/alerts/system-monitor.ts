// The coordinator-wide alert conditions, checked every few seconds: the chain unreachable for a
// while, the data directory's disk nearly full, and each run's chain writes stuck in the outbox or
// failed (a run's own alerts.outboxPendingMs; defaults for writes of no run).
import { statfs } from "node:fs/promises";
import { DEFAULT_ALERT_RULES, type AlertRules } from "../domain/index.js";
import type { ChainStatus } from "../chain/chain-watch.js";
import { componentLogger } from "../logging/logger.js";
import { outboxRepo } from "../store/repos/outbox-repo.js";
import { runsRepo } from "../store/repos/runs-repo.js";
import type { SqlDatabase } from "../store/sql-database.js";
import type { AlertCenter, AlertCondition } from "./alert-center.js";

const log = componentLogger("alerts");

export interface SystemMonitorOptions {
  /** How often the conditions are checked (ms). */
  intervalMs: number;
  /** The chain unreachable this long raises an alert (ms). */
  chainUnreachableMs: number;
  /** Less free space than this percentage of the data directory's disk raises an alert. */
  diskFreePercent: number;
  dataDir: string;
}

export class SystemMonitor {
  private timer: NodeJS.Timeout | undefined;
  private unreachableSince: number | null = null;
  private checking: Promise<void> | undefined;

  constructor(
    private readonly db: SqlDatabase,
    private readonly center: AlertCenter,
    private readonly chain: () => ChainStatus,
    private readonly opts: SystemMonitorOptions,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.check(), this.opts.intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.checking;
  }

  /** One check of every condition (the timer calls it; tests too). */
  check(): Promise<void> {
    this.checking ??= Promise.all([this.checkChain(), this.checkDisk(), this.checkOutbox()])
      .then(() => undefined)
      .catch((err: unknown) => log.warn(`alert check failed: ${String(err)}`))
      .finally(() => (this.checking = undefined));
    return this.checking;
  }

  private async checkChain(): Promise<void> {
    const s = this.chain();
    if (s.checkedAt === 0) return; // not read yet
    if (s.reachable) this.unreachableSince = null;
    else this.unreachableSince ??= s.checkedAt;
    const downMs = this.unreachableSince === null ? 0 : Date.now() - this.unreachableSince;
    const holding: AlertCondition[] =
      this.unreachableSince !== null && downMs >= this.opts.chainUnreachableMs
        ? [
            {
              key: "system:chain:unreachable",
              kind: "chain-unreachable",
              severity: "critical",
              runId: null,
              nodeId: null,
              message: `The chain at ${s.rpcUrl} has not answered for ${Math.round(downMs / 1000)} s: ${s.error ?? "no answer"}.`,
              action:
                "Start the chain (npm start runs a local one) or fix CHAIN_RPC_URL. Training goes on; chain writes wait in the outbox and are sent when it is back.",
            },
          ]
        : [];
    await this.center.sync("system:chain:", holding);
  }

  private async checkDisk(): Promise<void> {
    const fs = await statfs(this.opts.dataDir);
    const total = fs.blocks * fs.bsize;
    const free = fs.bavail * fs.bsize;
    const freePercent = total > 0 ? (free / total) * 100 : 100;
    const gb = (b: number) => `${(b / 1e9).toFixed(1)} GB`;
    await this.center.sync(
      "system:disk:",
      freePercent < this.opts.diskFreePercent
        ? [
            {
              key: "system:disk:nearly-full",
              kind: "disk-nearly-full",
              severity: "critical",
              runId: null,
              nodeId: null,
              message: `The disk of the data directory ${this.opts.dataDir} has ${freePercent.toFixed(1)}% free (${gb(free)} of ${gb(total)}; rule: ${this.opts.diskFreePercent}%).`,
              action:
                "Free space, or set retention on runs so fewer model versions and updates are kept (GET /api/health shows the artifact store's size). The store stops writing when the disk is full.",
            },
          ]
        : [],
    );
  }

  private async checkOutbox(): Promise<void> {
    const holding: AlertCondition[] = [];
    const now = Date.now();
    for (const p of await outboxRepo.problemsByRun(this.db)) {
      const run = await runsRepo.get(this.db, p.runId);
      const rules: AlertRules = run?.config.alerts ?? DEFAULT_ALERT_RULES;
      const runId = run ? p.runId : null;
      const who = run ? `Run ${p.runId}'s` : `Node ${p.runId}'s`;
      const ageMs = p.oldestPendingAt === null ? 0 : now - p.oldestPendingAt;
      if (rules.outboxPendingMs !== null && p.pending > 0 && ageMs > rules.outboxPendingMs) {
        holding.push({
          key: `outbox:${p.runId}:stuck`,
          kind: "outbox-stuck",
          severity: "warning",
          runId,
          nodeId: null,
          message: `${who} chain writes are not going out: ${p.pending} pending, the oldest for ${Math.round(ageMs / 1000)} s (rule: ${Math.round(rules.outboxPendingMs / 1000)} s).`,
          action:
            "Check the chain (GET /api/health: reachable, the recorder's balance, the outbox's last error). Writes are retried by themselves and sent in order once the cause is gone.",
        });
      }
      if (p.failed > 0) {
        holding.push({
          key: `outbox:${p.runId}:failed`,
          kind: "outbox-failed",
          severity: "critical",
          runId,
          nodeId: null,
          message: `${p.failed} of ${who.toLowerCase()} chain writes failed for good: ${p.failedError ?? "no error recorded"}.`,
          action:
            "Read GET /api/outbox?status=failed for each error. A write the contracts refuse is not retried; after a chain reset, POST /api/admin/chain-recovery queues every write again.",
        });
      }
    }
    await this.center.sync("outbox:", holding);
  }
}
