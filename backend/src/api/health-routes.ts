import { Router } from "express";
import { monitorEventLoopDelay, type IntervalHistogram } from "node:perf_hooks";
import type { ChainStatus } from "../chain/chain-watch.js";
import { TrainingPool } from "../engine/index.js";
import { outboxRepo } from "../store/repos/outbox-repo.js";
import { schemaVersion } from "../store/migrations.js";
import type { SqlDatabase } from "../store/sql-database.js";
import { OutboxQuery } from "./api-spec.js";

export interface OutboxHealth {
  pending: number;
  confirmed: number;
  failed: number;
  lastError: string | null;
  /** The oldest write failing for longer than OUTBOX_STUCK_MS, if any. */
  stuck: { id: string; sinceMs: number; attempts: number; lastError: string | null } | null;
}

export interface HealthDeps {
  db: SqlDatabase;
  /** The chain's cached status (chain/chain-watch.ts): never waits for the chain. */
  chain: () => ChainStatus;
  engine: () => Promise<unknown>;
  outbox: () => Promise<OutboxHealth>;
  /** The artifact store's disk use (models, updates, validation data, specs). */
  artifacts: () => Promise<{ bytes: number; files: number; byKind: Record<string, number> }>;
  startedAt: number;
}

async function storeStatus(db: SqlDatabase) {
  try {
    return {
      ok: true,
      dialect: db.dialect,
      location: db.location,
      schemaVersion: await schemaVersion(db),
    };
  } catch (err) {
    return { ok: false, dialect: db.dialect, location: db.location, error: (err as Error).message };
  }
}

/** Readings shorter than this keep the previous window's CPU and event-loop figures. */
const MIN_WINDOW_MS = 1_000;

interface ProcessWindow {
  cpuPercent: number;
  eventLoopLagMs: { mean: number; p99: number; max: number };
  windowMs: number;
}

/**
 * The coordinator's own resource use (the process's, so one sampler per process): CPU time over
 * the window since the previous reading (at least MIN_WINDOW_MS; a health poll every few seconds
 * makes it "the last few seconds"), memory now, and the event loop's delay over that window.
 */
class ProcessSampler {
  private readonly loop: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  private at = performance.now();
  private cpu = process.cpuUsage();
  private last: ProcessWindow | undefined;

  constructor() {
    this.loop.enable();
  }

  private window(): ProcessWindow {
    const now = performance.now();
    const elapsed = now - this.at;
    if (this.last && elapsed < MIN_WINDOW_MS) return this.last;
    const cpu = process.cpuUsage(this.cpu);
    const ns = (x: number) => (Number.isFinite(x) ? x / 1e6 : 0);
    const lag = this.loop.count > 0;
    this.last = {
      cpuPercent: round1(elapsed > 0 ? ((cpu.user + cpu.system) / 1000 / elapsed) * 100 : 0),
      eventLoopLagMs: {
        mean: lag ? round1(ns(this.loop.mean)) : 0,
        p99: lag ? round1(ns(this.loop.percentile(99))) : 0,
        max: lag ? round1(ns(this.loop.max)) : 0,
      },
      windowMs: Math.round(elapsed),
    };
    this.at = now;
    this.cpu = process.cpuUsage();
    this.loop.reset();
    return this.last;
  }

  read() {
    const mem = process.memoryUsage();
    const pool = TrainingPool.activity();
    return {
      ...this.window(),
      rssBytes: mem.rss,
      heapUsedBytes: mem.heapUsed,
      heapTotalBytes: mem.heapTotal,
      uptimeSeconds: Math.round(process.uptime()),
      trainingWorkers: { alive: pool.workers, busy: pool.busy },
    };
  }
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

let sampler: ProcessSampler | undefined;
/** The process's sampler, started by the first health router. */
function processSampler(): ProcessSampler {
  sampler ??= new ProcessSampler();
  return sampler;
}

/** Why the coordinator is degraded, each reason one sentence; empty when it is ok. */
function problems(
  chain: ChainStatus,
  store: { ok: boolean; error?: string },
  outbox: OutboxHealth | { error: string },
): string[] {
  const out: string[] = [];
  if (chain.reset) out.push(chain.reset.reason);
  else if (!chain.reachable) out.push(chain.error ?? "the chain is unreachable");
  else if (!chain.contractsDeployed) out.push(chain.error ?? "the contracts are not deployed");
  if (!store.ok) out.push(`the store is unavailable: ${store.error ?? "unknown error"}`);
  if ("error" in outbox) out.push(`the outbox cannot be read: ${outbox.error}`);
  else if (outbox.stuck) {
    out.push(
      `chain write ${outbox.stuck.id} has been failing for ${Math.round(outbox.stuck.sinceMs / 1000)} s (${outbox.stuck.attempts} attempts): ${outbox.stuck.lastError ?? "no error recorded"}`,
    );
  }
  return out;
}

/** GET /api/health (always 200) and GET /api/outbox. */
export function healthRoutes(deps: HealthDeps): Router {
  const router = Router();
  const usage = processSampler();
  router.get("/outbox", async (req, res) => {
    const { status, run, limit } = OutboxQuery.parse(req.query);
    res.json(await outboxRepo.list(deps.db, { status, run, limit }));
  });

  router.get("/health", async (_req, res) => {
    const chain = deps.chain();
    const [store, engine, outbox, artifacts] = await Promise.all([
      storeStatus(deps.db),
      deps.engine().catch((err: unknown) => ({ error: (err as Error).message })),
      deps.outbox().catch((err: unknown) => ({ error: (err as Error).message })),
      deps.artifacts().catch((err: unknown) => ({ error: (err as Error).message })),
    ]);
    const why = problems(chain, store, outbox);
    res.json({
      status: why.length === 0 ? "ok" : "degraded",
      problems: why,
      uptimeSeconds: Math.round((Date.now() - deps.startedAt) / 1000),
      chain,
      store,
      engine,
      outbox,
      artifacts,
      process: usage.read(),
    });
  });
  return router;
}
