import path from "node:path";
import type { ViteDevServer } from "vite";

const root = path.resolve(import.meta.dirname, "..", "..", "..");

export interface DashboardServer {
  url: string;
  close(): Promise<void>;
}

/**
 * The dashboard's Vite dev server, pointed at a given coordinator, chain and deployment file
 * (the same variables `npm start` and the coordinator use).
 */
export async function startDashboard(opts: {
  port: number;
  coordinatorUrl: string;
  chainRpcUrl: string;
  deploymentFile: string;
}): Promise<DashboardServer> {
  const saved = {
    COORDINATOR_URL: process.env.COORDINATOR_URL,
    CHAIN_RPC_URL: process.env.CHAIN_RPC_URL,
    DEPLOYMENT_FILE: process.env.DEPLOYMENT_FILE,
    DASHBOARD_PORT: process.env.DASHBOARD_PORT,
  };
  Object.assign(process.env, {
    COORDINATOR_URL: opts.coordinatorUrl,
    CHAIN_RPC_URL: opts.chainRpcUrl,
    DEPLOYMENT_FILE: opts.deploymentFile,
    DASHBOARD_PORT: String(opts.port),
  });
  let server: ViteDevServer;
  try {
    const { createServer } = await import("vite");
    server = await createServer({
      configFile: path.join(root, "frontend", "vite.config.ts"),
      logLevel: "warn",
      clearScreen: false,
    });
    await server.listen();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  return { url: `http://127.0.0.1:${opts.port}`, close: () => server.close() };
}
