import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { DeploymentSchema, type Deployment } from "../../chain/deployment-schema.js";

const execFileAsync = promisify(execFile);
const root = path.resolve(import.meta.dirname, "..", "..");

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === "object" && addr ? addr.port : 0));
    });
  });
}

async function rpcReady(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(1000),
    });
    return res.ok;
  } catch {
    return false;
  }
}

export interface LocalChain {
  rpcUrl: string;
  port: number;
  deployment: Deployment;
  deploymentFile: string;
  /** Stops the chain process (its state is gone, as with a real restart of `hardhat node`). */
  stop(): Promise<void>;
  /** Starts a fresh chain process on the same port (empty state). */
  restart(): Promise<void>;
  /** Deploys the contracts again (`npm run deploy:local`), rewriting the deployment file. */
  redeploy(): Promise<Deployment>;
  /** Stops the chain process with SIGSTOP: it keeps its state and its socket, and answers nothing. */
  freeze(): void;
  /** Continues a frozen chain process (SIGCONT): it answers what it was sent while stopped. */
  thaw(): void;
}

function spawnNode(port: number): ChildProcess {
  return spawn(
    path.join(root, "node_modules", ".bin", "hardhat"),
    ["node", "--hostname", "127.0.0.1", "--port", String(port)],
    {
      cwd: root,
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
}

async function waitReady(url: string, proc: ChildProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`hardhat node exited with ${proc.exitCode}`);
    if (await rpcReady(url)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error("hardhat node did not start within 60 s");
}

/** A real `hardhat node` on a free loopback port with the FedLedger contracts deployed by Ignition. */
export async function startLocalChain(): Promise<LocalChain> {
  const port = await freePort();
  const rpcUrl = `http://127.0.0.1:${port}`;
  let proc = spawnNode(port);
  await waitReady(rpcUrl, proc);
  const deployDir = mkdtempSync(path.join(tmpdir(), "fl-deploy-"));
  const deploymentFile = path.join(deployDir, "31337.json");
  const deploy = async (): Promise<Deployment> => {
    await execFileAsync(
      path.join(root, "node_modules", ".bin", "tsx"),
      [path.join(root, "scripts", "deploy-local.ts")],
      {
        cwd: root,
        env: { ...process.env, CHAIN_RPC_URL: rpcUrl, DEPLOYMENT_FILE: deploymentFile },
        timeout: 120_000,
      },
    );
    return DeploymentSchema.parse(JSON.parse(readFileSync(deploymentFile, "utf8")));
  };
  const killNode = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once("exit", r));
    proc.kill("SIGKILL");
    await exited;
  };
  const chain: LocalChain = {
    rpcUrl,
    port,
    deployment: await deploy(),
    deploymentFile,
    async stop() {
      await killNode();
      rmSync(deployDir, { recursive: true, force: true });
    },
    async restart() {
      await killNode();
      proc = spawnNode(port);
      await waitReady(rpcUrl, proc);
    },
    async redeploy() {
      chain.deployment = await deploy();
      return chain.deployment;
    },
    freeze() {
      proc.kill("SIGSTOP");
    },
    thaw() {
      proc.kill("SIGCONT");
    },
  };
  return chain;
}
