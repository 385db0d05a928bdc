import type { Server } from "node:http";
import { createPublicClient, http } from "viem";
import { loadConfig } from "./config.js";
import { createApp } from "./api/app.js";
import { healthRoutes } from "./api/health-routes.js";
import { readDeployment, type Deployment } from "./chain/deployment.js";
import { openDatabase } from "./store/open-database.js";

const LOCAL_CHAIN_ID = 31337;

function fail(message: string): never {
  console.error(`[coordinator] ${message}`);
  process.exit(1);
}

async function main(): Promise<void> {
  const config = loadConfig();
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  console.log(`[coordinator] store: ${db.location}`);

  let deployment: Deployment | undefined;
  try {
    deployment = readDeployment(config.deploymentFile);
  } catch (err) {
    console.warn(`[coordinator] ${(err as Error).message}`);
  }
  if (!config.adminToken && deployment && deployment.chainId !== LOCAL_CHAIN_ID) {
    fail(
      `ADMIN_TOKEN is required outside the local development chain (deployment is on chain ${deployment.chainId}).`,
    );
  }
  const publicClient = createPublicClient({ transport: http(config.rpcUrl, { retryCount: 0 }) });

  const app = createApp({
    adminToken: config.adminToken,
    routers: [
      healthRoutes({
        db,
        publicClient,
        rpcUrl: config.rpcUrl,
        deployment: () => deployment,
        engine: async () => ({ backend: "unknown" }),
        startedAt: Date.now(),
      }),
    ],
  });

  const server: Server = app.listen(config.port, config.host);
  server.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EADDRINUSE") {
      fail(
        `port ${config.port} is already in use: is another coordinator running? Stop it or set COORDINATOR_PORT.`,
      );
    }
    fail(`server error: ${err.message}`);
  });
  server.on("listening", () => {
    console.log(`[coordinator] listening on http://${config.host}:${config.port} (API under /api)`);
  });

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`[coordinator] ${signal}: shutting down`);
    server.close();
    server.closeAllConnections();
    db.close()
      .catch(() => undefined)
      .finally(() => process.exit(0));
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
}

main().catch((err: unknown) => fail((err as Error).message));
