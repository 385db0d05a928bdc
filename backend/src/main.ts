import "./load-env.js";
import type { Server } from "node:http";
import { loadConfig } from "./config.js";
import { createCoordinator } from "./coordinator.js";
import { redactRpcUrl } from "./chain/redact-url.js";
import { componentLogger, setLogLevel } from "./logging/logger.js";
import { runEngineFactory, describeEngine } from "./runs/tfjs-run-engine.js";

const log = componentLogger("coordinator");

function fail(message: string): never {
  log.error(message);
  process.exit(1);
}

async function main(): Promise<void> {
  const config = loadConfig();
  setLogLevel(config.logLevel);
  const coordinator = await createCoordinator(config, {
    engineFactory: runEngineFactory({
      workers: config.trainingWorkers,
      dataRoot: config.dataRoot,
    }),
    engineInfo: describeEngine,
  });
  log.info(`store: ${coordinator.db.location}`);
  log.info(
    `chain ${coordinator.deployment.chainId} at ${redactRpcUrl(config.rpcUrl)}, ledger ${coordinator.deployment.contracts.ContributionLedger.address}`,
  );
  if (!config.adminToken)
    log.warn("no ADMIN_TOKEN: mutating calls are open (local development chain only)");

  const server: Server = coordinator.app.listen(config.port, config.host);
  server.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EADDRINUSE") {
      fail(
        `port ${config.port} is already in use: is another coordinator running? Stop it or set COORDINATOR_PORT.`,
      );
    }
    fail(`server error: ${err.message}`);
  });
  await new Promise<void>((resolve) => server.once("listening", resolve));
  log.info(`listening on http://${config.host}:${config.port} (API under /api, docs at /api/docs)`);
  await coordinator.start();

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: finishing the current round's bookkeeping and shutting down`);
    server.close();
    server.closeAllConnections();
    const force = setTimeout(() => process.exit(0), 10_000);
    force.unref();
    coordinator
      .close()
      .catch((err: unknown) => log.error(`shutdown: ${(err as Error).message}`))
      .finally(() => process.exit(0));
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGHUP", () => shutdown("SIGHUP"));
}

main().catch((err: unknown) => fail((err as Error).message));
