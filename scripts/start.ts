// `npm start`: the whole FedLedger stack in one terminal. Starts (or reuses) the local Hardhat
// chain, deploys the contracts with Ignition, then runs the coordinator and the dashboard, each
// with a prefixed log. Ctrl-C stops everything it started.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createConnection } from "node:net";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const bin = (name: string) => path.join(root, "node_modules", ".bin", name);

const chainPort = Number(process.env.CHAIN_PORT ?? 8545);
const coordinatorPort = Number(process.env.COORDINATOR_PORT ?? 8000);
const dashboardPort = Number(process.env.DASHBOARD_PORT ?? 5173);
const chainVerbose = process.env.CHAIN_VERBOSE === "1";

const COLORS = { chain: 33, deploy: 35, coord: 36, web: 32, start: 37 } as const;
type Label = keyof typeof COLORS;
const useColor = process.stdout.isTTY;

function log(label: Label, line: string): void {
  const tag = label.padEnd(6);
  process.stdout.write(
    useColor ? `\x1b[${COLORS[label]}m${tag}|\x1b[0m ${line}\n` : `${tag}| ${line}\n`,
  );
}

// JSON-RPC reads the dashboard and coordinator poll constantly; the chain log keeps writes only.
const QUIET_RPC =
  /^(eth_(blockNumber|call|chainId|getBalance|getBlockByNumber|getBlockByHash|getCode|getLogs|getTransactionReceipt|getTransactionByHash|getTransactionCount|estimateGas|gasPrice|feeHistory|maxPriorityFeePerGas|getStorageAt|newFilter|getFilterChanges|uninstallFilter|newBlockFilter|syncing|accounts)|net_version|web3_clientVersion|hardhat_metadata|hardhat_getAutomine|eth_signTypedData_v4)( \(\d+\))?$/;
// eslint-disable-next-line no-control-regex -- strips the chain's ANSI colours
const ANSI = /\x1b\[[0-9;]*m/g;

function pipeLines(
  label: Label,
  stream: NodeJS.ReadableStream | null,
  filter?: (l: string) => boolean,
): void {
  if (!stream) return;
  let buf = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    buf += chunk;
    const lines = buf.split("\n");
    buf = lines.pop() ?? "";
    for (const l of lines) if (!filter || filter(l)) log(label, l);
  });
  stream.on("end", () => {
    if (buf && (!filter || filter(buf))) log(label, buf);
  });
}

const children: { label: Label; proc: ChildProcess }[] = [];
let shuttingDown = false;

function startChild(
  label: Label,
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
  filter?: (l: string) => boolean,
): ChildProcess {
  const proc = spawn(cmd, args, {
    cwd: root,
    env: { ...process.env, FORCE_COLOR: useColor ? "1" : "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true, // own process group: Ctrl-C reaches it only through us, and we stop it whole
  });
  pipeLines(label, proc.stdout, filter);
  pipeLines(label, proc.stderr, filter);
  children.push({ label, proc });
  return proc;
}

function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

async function rpcChainId(url: string): Promise<number | undefined> {
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(2000),
    });
    const body = (await res.json()) as { result?: string };
    return body.result ? Number(body.result) : undefined;
  } catch {
    return undefined;
  }
}

async function rpc<T>(url: string, method: string, params: unknown[]): Promise<T | undefined> {
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
      signal: AbortSignal.timeout(2000),
    });
    return ((await res.json()) as { result?: T }).result;
  } catch {
    return undefined;
  }
}

/**
 * The ledger address of chain/deployments/31337.json when that deployment lives on the running
 * chain (same genesis block, contract code present): then the contracts, and the store bound
 * to them, stay as they are.
 */
async function liveDeployment(rpcUrl: string): Promise<string | undefined> {
  const file = process.env.DEPLOYMENT_FILE ?? path.join(root, "chain", "deployments", "31337.json");
  if (!existsSync(file)) return undefined;
  try {
    const d = JSON.parse(readFileSync(file, "utf8")) as {
      genesisHash?: string;
      contracts: { ContributionLedger: { address: string } };
    };
    const ledger = d.contracts.ContributionLedger.address;
    const genesis = await rpc<{ hash: string }>(rpcUrl, "eth_getBlockByNumber", ["0x0", false]);
    const code = await rpc<string>(rpcUrl, "eth_getCode", [ledger, "latest"]);
    if (!genesis || genesis.hash !== d.genesisHash || !code || code === "0x") return undefined;
    return ledger;
  } catch {
    return undefined;
  }
}

async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  proc?: ChildProcess,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc && proc.exitCode !== null)
      throw new Error(`${what} exited (code ${proc.exitCode}) before it was ready`);
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${what} was not ready after ${timeoutMs / 1000} s`);
}

function runToEnd(
  label: Label,
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const proc = startChild(label, cmd, args, env);
    proc.once("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`${label} failed (exit ${code})`)),
    );
  });
}

async function stopAll(code: number): Promise<never> {
  shuttingDown = true;
  const running = children.filter((c) => c.proc.exitCode === null && c.proc.signalCode === null);
  for (const c of running) {
    try {
      process.kill(-c.proc.pid!, "SIGTERM");
    } catch {
      /* already gone */
    }
  }
  await Promise.race([
    Promise.all(running.map((c) => new Promise((r) => c.proc.once("exit", r)))),
    new Promise((r) => setTimeout(r, 8000)),
  ]);
  for (const c of running) {
    if (c.proc.exitCode === null && c.proc.signalCode === null) {
      try {
        process.kill(-c.proc.pid!, "SIGKILL");
      } catch {
        /* already gone */
      }
    }
  }
  log("start", code === 0 ? "stopped" : "stopped after an error");
  process.exit(code);
}

async function main(): Promise<void> {
  // Ctrl-C, `kill` and a closed terminal all stop the whole stack. `npm start` execs this script
  // (package.json), so npm's signals reach it; should whatever started it die without passing a
  // signal on (a shell between them, a SIGKILL), this process is re-parented and stops too.
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(signal, () => void stopAll(0));
  }
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent && !shuttingDown) {
      log("start", "the process that started FedLedger is gone; stopping");
      void stopAll(0);
    }
  }, 1_000).unref();

  for (const [port, name, env] of [
    [coordinatorPort, "coordinator", "COORDINATOR_PORT"],
    [dashboardPort, "dashboard", "DASHBOARD_PORT"],
  ] as const) {
    if (await portInUse(port)) {
      log(
        "start",
        `Port ${port} (${name}) is already in use. Is FedLedger already running? Stop it, or pick another port with ${env}=...`,
      );
      process.exit(1);
    }
  }

  const rpcUrl = `http://127.0.0.1:${chainPort}`;
  let chainReused = false;
  if (await portInUse(chainPort)) {
    const chainId = await rpcChainId(rpcUrl);
    if (chainId !== 31337) {
      log(
        "start",
        `Port ${chainPort} is in use by something that is not a local Hardhat chain (chainId ${chainId ?? "none"}). Stop it or set CHAIN_PORT=...`,
      );
      process.exit(1);
    }
    log("start", `A local chain (31337) is already running on ${rpcUrl}: using it.`);
    chainReused = true;
  } else {
    let quietCall = false;
    const chain = startChild(
      "chain",
      bin("hardhat"),
      ["node", "--hostname", "127.0.0.1", "--port", String(chainPort)],
      {},
      (l) => {
        if (chainVerbose) return true;
        const raw = l.replace(ANSI, "");
        const plain = raw.trim();
        if (plain === "") return false;
        // Indented lines detail the RPC call above them: shown only when that call is.
        if (/^\s/.test(raw) && !/^\s*(Account #|Private Key:)/.test(raw)) return !quietCall;
        quietCall = QUIET_RPC.test(plain);
        if (quietCall) return false;
        return !/^(Account #|Private Key:)/.test(plain);
      },
    );
    chain.once("exit", (code) => {
      if (!shuttingDown) {
        log("start", `the chain exited (code ${code}); stopping`);
        void stopAll(1);
      }
    });
    await waitFor("the chain", async () => (await rpcChainId(rpcUrl)) === 31337, 60_000, chain);
    log(
      "start",
      `chain ready at ${rpcUrl} (chainId 31337). Dev accounts: see README (Hardhat's public test keys).`,
    );
  }

  const reused = chainReused ? await liveDeployment(rpcUrl) : undefined;
  if (reused) {
    log("start", `contracts already deployed on this chain (ledger ${reused}): reusing them`);
  } else {
    await runToEnd("deploy", bin("tsx"), ["scripts/deploy-local.ts"], { CHAIN_RPC_URL: rpcUrl });
  }

  const coordEnv = {
    CHAIN_RPC_URL: rpcUrl,
    COORDINATOR_PORT: String(coordinatorPort),
    // node:sqlite is stable enough for us; its experimental notice is noise in the log.
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --disable-warning=ExperimentalWarning`.trim(),
  };
  const coord = startChild("coord", bin("tsx"), ["backend/src/main.ts"], coordEnv);
  coord.once("exit", (code) => {
    if (!shuttingDown) {
      log("start", `the coordinator exited (code ${code}); stopping`);
      void stopAll(1);
    }
  });
  await waitFor(
    "the coordinator",
    async () => {
      try {
        return (
          await fetch(`http://127.0.0.1:${coordinatorPort}/api/health`, {
            signal: AbortSignal.timeout(2000),
          })
        ).ok;
      } catch {
        return false;
      }
    },
    120_000,
    coord,
  );

  const web = startChild(
    "web",
    bin("vite"),
    [
      "--config",
      "frontend/vite.config.ts",
      "--port",
      String(dashboardPort),
      "--strictPort",
      "--host",
      "127.0.0.1",
    ],
    {
      COORDINATOR_URL: `http://127.0.0.1:${coordinatorPort}`,
      CHAIN_RPC_URL: rpcUrl,
    },
  );
  web.once("exit", (code) => {
    if (!shuttingDown) {
      log("start", `the dashboard exited (code ${code}); stopping`);
      void stopAll(1);
    }
  });
  // "Up" means every URL below answers.
  await waitFor("the dashboard", () => portInUse(dashboardPort), 60_000, web);
  log(
    "start",
    `FedLedger is up: dashboard http://127.0.0.1:${dashboardPort}  API http://127.0.0.1:${coordinatorPort}/api  chain ${rpcUrl}. Ctrl-C stops it.`,
  );
}

main().catch((err: unknown) => {
  log("start", (err as Error).message);
  void stopAll(1);
});
