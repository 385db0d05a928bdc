// Alerts: raised once when their condition starts, cleared when it ends, acknowledged by an admin.
// Each change is stored, with its webhook deliveries, in one transaction before anyone is told
// (the run's SSE stream, the alerts stream, the webhook sender), so a restart loses none.
import { EventEmitter } from "node:events";
import type { Alert, AlertChange } from "../domain/index.js";
import type { RunEvents } from "../events/run-events.js";
import { componentLogger } from "../logging/logger.js";
import { alertDeliveriesRepo } from "../store/repos/alert-deliveries-repo.js";
import { alertsRepo, type KeyedAlert, type NewAlert } from "../store/repos/alerts-repo.js";
import type { SqlDatabase, SqlExecutor } from "../store/sql-database.js";
import { webhookPayload, type WebhookTarget } from "./webhook-payload.js";

const log = componentLogger("alerts");

/** A condition that holds now: the alert it raises (its key says which condition it is). */
export type AlertCondition = NewAlert;

export type AlertListener = (change: AlertChange, alert: Alert) => void;

export interface AlertCenterOptions {
  webhooks: readonly WebhookTarget[];
  /** Told when deliveries were queued (the webhook sender sends them). */
  onQueued?: () => void;
  /** Told of every change (the coordinator's metrics). */
  observe?: AlertListener;
}

export class AlertCenter {
  private readonly emitter = new EventEmitter();
  /** Changes are applied one at a time: a sync never races another over the same keys. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly db: SqlDatabase,
    private readonly events: RunEvents,
    private readonly opts: AlertCenterOptions,
  ) {
    this.emitter.setMaxListeners(300);
  }

  /**
   * Makes the active alerts whose key starts with `scope` exactly those of `holding`: a condition
   * not yet active is raised (once), an active one no longer holding is cleared.
   */
  sync(scope: string, holding: readonly AlertCondition[]): Promise<void> {
    return this.serial(async () => {
      const active = await alertsRepo.activeUnder(this.db, scope);
      const now = new Set(holding.map((c) => c.key));
      const ended = active.filter((a) => !now.has(a.key)).map((a) => a.key);
      const seen = new Set(active.map((a) => a.key));
      for (const c of holding) if (!seen.has(c.key)) await this.raiseNow(c);
      if (ended.length > 0) await this.clearNow(ended);
    });
  }

  /** Raises the alert unless its condition is already active. */
  raise(c: AlertCondition): Promise<void> {
    return this.serial(async () => {
      if ((await alertsRepo.activeUnder(this.db, c.key)).some((a) => a.key === c.key)) return;
      await this.raiseNow(c);
    });
  }

  /** Clears every active alert under `scope` (its condition cannot hold any longer). */
  clearUnder(scope: string): Promise<void> {
    return this.serial(async () => {
      const active = await alertsRepo.activeUnder(this.db, scope);
      if (active.length > 0) await this.clearNow(active.map((a) => a.key));
    });
  }

  /** An admin saw it. Undefined for an unknown id; acknowledging twice changes nothing. */
  acknowledge(id: number): Promise<Alert | undefined> {
    return this.serial(async () => {
      const before = await alertsRepo.get(this.db, id);
      if (!before) return undefined;
      if (before.acknowledgedAt !== null) return strip(before);
      const after = await this.db.transaction(async (tx) => {
        const a = (await alertsRepo.acknowledge(tx, id, Date.now()))!;
        await this.queueDeliveries(tx, "acknowledged", a);
        return a;
      });
      await this.tell("acknowledged", after);
      return strip(after);
    });
  }

  /** Every change, as it happens (GET /api/alerts/events). */
  subscribe(listener: AlertListener): () => void {
    this.emitter.on("change", listener);
    return () => this.emitter.off("change", listener);
  }

  /** Waits for the changes asked for so far (tests, shutdown). */
  async settled(): Promise<void> {
    await this.queue.catch(() => undefined);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async raiseNow(c: AlertCondition): Promise<void> {
    const raised = await this.db.transaction(async (tx) => {
      const a = await alertsRepo.raise(tx, c, Date.now());
      if (a) await this.queueDeliveries(tx, "raised", a);
      return a;
    });
    if (!raised) return;
    const where = [raised.runId, raised.nodeId].filter(Boolean).join("/");
    log.warn(`${raised.severity} ${raised.kind}${where ? ` (${where})` : ""}: ${raised.message}`);
    await this.tell("raised", raised);
  }

  private async clearNow(keys: readonly string[]): Promise<void> {
    const cleared = await this.db.transaction(async (tx) => {
      const done = await alertsRepo.clear(tx, keys, Date.now());
      for (const a of done) await this.queueDeliveries(tx, "cleared", a);
      return done;
    });
    for (const a of cleared) {
      log.info(`cleared ${a.kind}${a.runId ? ` (${a.runId})` : ""}: ${a.message}`);
      await this.tell("cleared", a);
    }
  }

  private async queueDeliveries(tx: SqlExecutor, change: AlertChange, a: KeyedAlert) {
    for (const target of this.opts.webhooks) {
      await alertDeliveriesRepo.enqueue(
        tx,
        {
          alertId: a.id,
          change,
          target: target.id,
          payload: webhookPayload(target, change, strip(a)),
        },
        Date.now(),
      );
    }
  }

  private async tell(change: AlertChange, keyed: KeyedAlert): Promise<void> {
    const alert = strip(keyed);
    if (this.opts.webhooks.length > 0) this.opts.onQueued?.();
    this.opts.observe?.(change, alert);
    this.emitter.emit("change", change, alert);
    if (alert.runId !== null) {
      await this.events
        .publish({ type: "alert", runId: alert.runId, change, alert })
        .catch((err: unknown) => log.warn(`alert event not stored: ${String(err)}`));
    }
  }
}

function strip(a: KeyedAlert): Alert {
  const { key: _key, ...alert } = a;
  return alert;
}
