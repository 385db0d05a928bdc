import { Router } from "express";
import type { PublicClient } from "viem";
import { readChainStatus } from "../chain/chain-status.js";
import type { Deployment } from "../chain/deployment.js";
import { schemaVersion } from "../store/migrations.js";
import { outboxRepo } from "../store/repos/outbox-repo.js";
import type { SqlDatabase } from "../store/sql-database.js";
import { OutboxQuery } from "./api-spec.js";

export interface HealthDeps {
  db: SqlDatabase;
  publicClient: PublicClient;
  rpcUrl: string;
  deployment: () => Deployment | undefined;
  engine: () => Promise<unknown>;
  outbox: () => Promise<unknown>;
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

/** GET /api/health: always 200, with the status of the chain, the store and the engine. */
export function healthRoutes(deps: HealthDeps): Router {
  const router = Router();
  router.get("/outbox", async (req, res) => {
    const { status, run, limit } = OutboxQuery.parse(req.query);
    res.json(await outboxRepo.list(deps.db, { status, run, limit }));
  });

  router.get("/health", async (_req, res) => {
    const [chain, store, engine, outbox] = await Promise.all([
      readChainStatus(deps.publicClient, deps.rpcUrl, deps.deployment()),
      storeStatus(deps.db),
      deps.engine().catch((err: unknown) => ({ error: (err as Error).message })),
      deps.outbox().catch((err: unknown) => ({ error: (err as Error).message })),
    ]);
    const ok = chain.reachable && chain.contractsDeployed === true && store.ok;
    res.json({
      status: ok ? "ok" : "degraded",
      uptimeSeconds: Math.round((Date.now() - deps.startedAt) / 1000),
      chain,
      store,
      engine,
      outbox,
    });
  });
  return router;
}
