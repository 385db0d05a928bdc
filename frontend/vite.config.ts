/// <reference types="vitest/config" />
import { readFileSync } from "node:fs";
import path from "node:path";
import react from "@vitejs/plugin-react";
import { defineConfig, type UserConfig } from "vite";

const repoRoot = path.resolve(import.meta.dirname, "..");

/** The variables the dashboard is configured by (the same ones `npm start` and the coordinator use). */
export interface DashboardEnv {
  COORDINATOR_URL?: string;
  COORDINATOR_PORT?: string;
  CHAIN_RPC_URL?: string;
  CHAIN_PORT?: string;
  DEPLOYMENT_FILE?: string;
  /** Bundled into the page: a public Sepolia endpoint, or a key restricted to the origin. */
  DASHBOARD_SEPOLIA_RPC_URL?: string;
  DASHBOARD_PORT?: string;
}

// The deployment the coordinator uses when it is started with DEPLOYMENT_FILE (tests, custom
// setups); chain/deployments/*.json are bundled too, and this one wins for its chain.
function deploymentOverride(file: string | undefined): unknown {
  if (!file) return null;
  try {
    return JSON.parse(readFileSync(path.resolve(file), "utf8")) as unknown;
  } catch (err) {
    throw new Error(`DEPLOYMENT_FILE=${file} could not be read: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/**
 * The dashboard's Vite config for a given environment. Everything is resolved here, once, from the
 * env passed in, so a server created with it (tests pass their own env instead of changing
 * process.env) keeps pointing at the same coordinator and chain even when Vite restarts itself.
 */
export function dashboardConfig(env: DashboardEnv): UserConfig {
  const coordinator = env.COORDINATOR_URL ?? `http://127.0.0.1:${env.COORDINATOR_PORT ?? "8000"}`;
  // The RPC URL the dashboard reads the chain from, by the coordinator's rule (backend/src/config.ts)
  // so that both read the same chain. MetaMask uses its own network settings.
  const rpcUrl = env.CHAIN_RPC_URL ?? `http://127.0.0.1:${env.CHAIN_PORT ?? "8545"}`;
  return {
    root: import.meta.dirname,
    plugins: [react()],
    define: {
      "import.meta.env.VITE_CHAIN_RPC_URL": JSON.stringify(rpcUrl),
      "import.meta.env.VITE_SEPOLIA_RPC_URL": JSON.stringify(env.DASHBOARD_SEPOLIA_RPC_URL ?? ""),
      __FEDLEDGER_DEPLOYMENT__: JSON.stringify(deploymentOverride(env.DEPLOYMENT_FILE)),
    },
    resolve: {
      alias: { "@chain": path.join(repoRoot, "chain") },
    },
    server: {
      host: "127.0.0.1",
      port: Number(env.DASHBOARD_PORT ?? 5173),
      strictPort: true,
      fs: { allow: [repoRoot] },
      proxy: { "/api": { target: coordinator, changeOrigin: false } },
    },
    preview: {
      proxy: { "/api": { target: coordinator, changeOrigin: false } },
    },
    build: { outDir: path.join(import.meta.dirname, "dist"), emptyOutDir: true },
    test: {
      root: import.meta.dirname,
      environment: "jsdom",
      include: ["src/**/*.test.{ts,tsx}"],
    },
  };
}

export default defineConfig(dashboardConfig(process.env));
