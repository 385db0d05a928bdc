// Sends the alert deliveries the alert center queued: POST JSON, a 2xx is delivered; a timeout, a
// network error, 408, 429 or 5xx is retried with exponential backoff; any other 4xx (the receiver
// refuses the body or the URL is wrong) and too many attempts give up, with the error kept.
import { componentLogger } from "../logging/logger.js";
import { alertDeliveriesRepo, type AlertDelivery } from "../store/repos/alert-deliveries-repo.js";
import type { SqlDatabase } from "../store/sql-database.js";
import { redact, type WebhookTarget } from "./webhook-payload.js";

const log = componentLogger("alerts");

export interface WebhookSenderOptions {
  /** How often due deliveries are looked for when nobody pokes (ms). */
  pollMs?: number;
  /** One attempt's timeout (ms). */
  timeoutMs?: number;
  /** The first retry's delay; each next one doubles, up to maxDelayMs. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  maxAttempts?: number;
}

const DEFAULTS: Required<WebhookSenderOptions> = {
  pollMs: 2_000,
  timeoutMs: 5_000,
  baseDelayMs: 2_000,
  maxDelayMs: 300_000,
  maxAttempts: 10,
};

export class WebhookSender {
  private readonly opts: Required<WebhookSenderOptions>;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;

  constructor(
    private readonly db: SqlDatabase,
    private readonly targets: readonly WebhookTarget[],
    opts: WebhookSenderOptions = {},
  ) {
    this.opts = { ...DEFAULTS, ...opts };
  }

  start(): void {
    if (this.targets.length === 0) return;
    this.stopped = false;
    this.poke();
  }

  /** Sends what is due now (called when deliveries are queued). */
  poke(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.running = this.drain()
      .catch((err: unknown) => log.warn(`webhook sender: ${String(err)}`))
      .finally(() => {
        this.running = undefined;
        if (this.stopped) return;
        if (this.again) {
          this.again = false;
          this.poke();
        } else this.timer = setTimeout(() => this.poke(), this.opts.pollMs);
      });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private async drain(): Promise<void> {
    for (;;) {
      const due = await alertDeliveriesRepo.due(this.db, Date.now(), 20);
      if (due.length === 0 || this.stopped) return;
      await Promise.all(due.map((d) => this.send(d)));
    }
  }

  private async send(d: AlertDelivery): Promise<void> {
    const target = this.targets.find((t) => t.id === d.target);
    const attempts = d.attempts + 1;
    if (!target) {
      await alertDeliveriesRepo.attemptFailed(
        this.db,
        d.id,
        attempts,
        "this webhook is no longer in ALERT_WEBHOOK_URLS",
        null,
      );
      return;
    }
    const outcome = await post(target.url, d.payload, this.opts.timeoutMs);
    if (outcome.ok) {
      await alertDeliveriesRepo.delivered(this.db, d.id, attempts, Date.now());
      return;
    }
    const giveUp = !outcome.retry || attempts >= this.opts.maxAttempts;
    const delay = Math.min(this.opts.baseDelayMs * 2 ** (attempts - 1), this.opts.maxDelayMs);
    await alertDeliveriesRepo.attemptFailed(
      this.db,
      d.id,
      attempts,
      outcome.error,
      giveUp ? null : Date.now() + delay,
    );
    const what = `alert ${d.alertId} ${d.change} to ${redact(target.url)}`;
    if (giveUp)
      log.error(`webhook gave up after ${attempts} attempt(s), ${what}: ${outcome.error}`);
    else
      log.warn(
        `webhook attempt ${attempts} failed, ${what}: ${outcome.error}; retry in ${delay} ms`,
      );
  }
}

type PostOutcome = { ok: true } | { ok: false; retry: boolean; error: string };

async function post(url: string, body: unknown, timeoutMs: number): Promise<PostOutcome> {
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": "fedledger-alerts" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
      redirect: "error",
    });
    await res.arrayBuffer().catch(() => undefined);
    if (res.ok) return { ok: true };
    const retry = res.status === 408 || res.status === 429 || res.status >= 500;
    return { ok: false, retry, error: `HTTP ${res.status}` };
  } catch (err) {
    return { ok: false, retry: true, error: (err as Error).message };
  }
}
