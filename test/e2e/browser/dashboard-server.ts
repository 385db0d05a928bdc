import path from "node:path";
import type { Logger, ViteDevServer } from "vite";
import { dashboardConfig } from "../../../frontend/vite.config.js";

const root = path.resolve(import.meta.dirname, "..", "..", "..");

export interface DashboardServer {
  url: string;
  close(): Promise<void>;
}

/**
 * The dashboard's Vite dev server, pointed at a given coordinator, chain and deployment file
 * (the same variables `npm start` and the coordinator use).
 *
 * The config is built from these values and handed to Vite inline, never through process.env:
 * Vite re-reads its config whenever it restarts itself (an edited config file, a changed .env),
 * and a config read from a restored process.env would silently switch the page to the default
 * chain on 127.0.0.1:8545 and the default deployment.
 */
export async function startDashboard(opts: {
  port: number;
  coordinatorUrl: string;
  chainRpcUrl: string;
  deploymentFile: string;
}): Promise<DashboardServer> {
  const { createServer, createLogger } = await import("vite");
  // A coordinator that does not listen (on purpose, or not yet) shows in the page and fails the
  // test; Vite's stack trace for each refused /api request would only bury the test's report.
  const logger: Logger = createLogger("warn");
  const logError = logger.error.bind(logger);
  logger.error = (msg, options) => {
    if (msg.includes("http proxy error") && msg.includes("ECONNREFUSED")) return;
    logError(msg, options);
  };
  const server: ViteDevServer = await createServer({
    ...dashboardConfig({
      COORDINATOR_URL: opts.coordinatorUrl,
      CHAIN_RPC_URL: opts.chainRpcUrl,
      DEPLOYMENT_FILE: opts.deploymentFile,
      DASHBOARD_PORT: String(opts.port),
    }),
    configFile: false,
    // Its own dependency cache: a developer's `npm start` dashboard may be optimizing into the
    // default node_modules/.vite at the same time, and each would invalidate the other's pages.
    cacheDir: path.join(root, "node_modules", ".vite-e2e"),
    customLogger: logger,
    clearScreen: false,
  });
  await server.listen();
  return { url: `http://127.0.0.1:${opts.port}`, close: () => server.close() };
}
