/// <reference types="vitest/config" />
import { readFileSync } from "node:fs";
import path from "node:path";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const repoRoot = path.resolve(import.meta.dirname, "..");
const coordinator =
  process.env.COORDINATOR_URL ?? `http://127.0.0.1:${process.env.COORDINATOR_PORT ?? "8000"}`;

// The deployment the coordinator uses when it is started with DEPLOYMENT_FILE (tests, custom
// setups); chain/deployments/*.json are bundled too, and this one wins for its chain.
function deploymentOverride(): unknown {
  const file = process.env.DEPLOYMENT_FILE;
  if (!file) return null;
  try {
    return JSON.parse(readFileSync(path.resolve(file), "utf8")) as unknown;
  } catch (err) {
    throw new Error(`DEPLOYMENT_FILE=${file} could not be read: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  define: {
    // The RPC URL the dashboard reads the chain from (MetaMask uses its own network settings).
    "import.meta.env.VITE_CHAIN_RPC_URL": JSON.stringify(
      process.env.CHAIN_RPC_URL ?? `http://127.0.0.1:${process.env.CHAIN_PORT ?? "8545"}`,
    ),
    __FEDLEDGER_DEPLOYMENT__: JSON.stringify(deploymentOverride()),
  },
  resolve: {
    alias: { "@chain": path.join(repoRoot, "chain") },
  },
  server: {
    host: "127.0.0.1",
    port: Number(process.env.DASHBOARD_PORT ?? 5173),
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
});
