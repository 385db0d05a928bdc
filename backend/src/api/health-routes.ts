import { Router } from "express";
import type { ChainStatus } from "../chain/chain-watch.js";
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
    });
  });
  return router;
}
