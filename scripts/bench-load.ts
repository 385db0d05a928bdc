/**
 * `npm run bench:load`: is the coordinator responsive while it trains the most it admits? Starts a
 * chain and a coordinator (its own process), fills it: MAX_CONCURRENT_RUNS runs of the FedAvg
 * paper's MNIST CNN training at once and more queued, then for a fixed time asks /api/health and
 * /api/runs every ~50 ms and stops queued runs, and prints the latency percentiles (target: p95
 * under 100 ms) with the machine it ran on.
 *
 * Options (env): BENCH_SECONDS (default 60), BENCH_QUEUED (runs queued beyond the running ones,
 * default 18: twenty stops in all), MAX_CONCURRENT_RUNS (default 2), TRAINING_WORKERS (default: cores).
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { CreateRunRequest, RunSummary } from "../backend/src/domain/index.js";
import { api } from "../test/helpers/http.js";
import { freePort, startLocalChain } from "../test/helpers/local-chain.js";

const seconds = Number(process.env.BENCH_SECONDS ?? 60);
const queuedExtra = Number(process.env.BENCH_QUEUED ?? 18);
const concurrent = Number(process.env.MAX_CONCURRENT_RUNS ?? 2);
const root = path.resolve(import.meta.dirname, "..");

const heavy: CreateRunRequest = {
  name: "load: FedAvg CNN",
  dataset: "mnist",
  model: "cnn",
  trainLimit: 12_000,
  partition: { kind: "iid" },
  numNodes: 20,
  fraction: 0.5,
  rounds: 50,
  localEpochs: 1,
  batchSize: 10,
  learningRate: 0.05,
  strategy: { name: "fedavg" },
};

function percentiles(ms: number[]) {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) =>
    Number((s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0).toFixed(1));
  return { n: s.length, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: at(1) };
}

async function timed<T>(f: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const r = await f();
  return [performance.now() - t0, r];
}

const chain = await startLocalChain();
const dir = mkdtempSync(path.join(os.tmpdir(), "fl-bench-load-"));
const port = await freePort();
const url = `http://127.0.0.1:${port}`;
const coordinator = spawn(process.execPath, ["--import", "tsx", "backend/src/main.ts"], {
  cwd: root,
  env: {
    ...process.env,
    CHAIN_RPC_URL: chain.rpcUrl,
    DEPLOYMENT_FILE: chain.deploymentFile,
    DATA_DIR: dir,
    COORDINATOR_PORT: String(port),
    MAX_CONCURRENT_RUNS: String(concurrent),
    LOG_LEVEL: "warn",
    FEDLEDGER_ENGINE_QUIET: "1",
  },
  stdio: ["ignore", "ignore", "inherit"],
});
try {
  for (let i = 0; ; i++) {
    if ((await fetch(`${url}/api/health`).catch(() => undefined))?.ok) break;
    if (i > 300) throw new Error("the coordinator did not start");
    await new Promise((r) => setTimeout(r, 200));
  }
  const runs: RunSummary[] = [];
  for (let i = 0; i < concurrent + queuedExtra; i++) {
    const r = await api<RunSummary>(url, "POST", "/api/runs", { ...heavy, seed: i + 1 });
    if (r.status !== 201) throw new Error(`run ${i}: ${r.status} ${JSON.stringify(r.body)}`);
    runs.push(r.body);
  }
  // Wait until the admitted runs train (their first round started).
  for (;;) {
    const all = (await api<RunSummary[]>(url, "GET", "/api/runs")).body;
    if (all.filter((r) => r.status === "running").length >= concurrent) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  await new Promise((r) => setTimeout(r, 5_000));
  const health: number[] = [];
  const listing: number[] = [];
  const stop: number[] = [];
  const queued = runs.slice(concurrent);
  const end = Date.now() + seconds * 1000;
  const stopEvery = (seconds * 1000) / (queued.length + 1);
  let nextStop = Date.now() + stopEvery;
  while (Date.now() < end) {
    health.push((await timed(() => fetch(`${url}/api/health`).then((r) => r.text())))[0]);
    listing.push((await timed(() => fetch(`${url}/api/runs`).then((r) => r.text())))[0]);
    if (Date.now() >= nextStop && queued.length > 0) {
      const r = queued.shift()!;
      stop.push((await timed(() => api(url, "POST", `/api/runs/${r.id}/stop`)))[0]);
      nextStop += stopEvery;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  // Stopping a run mid-round answers at once too.
  for (const r of runs.slice(0, concurrent)) {
    stop.push((await timed(() => api(url, "POST", `/api/runs/${r.id}/stop`)))[0]);
  }
  const rss =
    Number(execFileSync("ps", ["-o", "rss=", "-p", String(coordinator.pid)]).toString()) / 1024;
  const after = (await api<RunSummary[]>(url, "GET", "/api/runs")).body;
  console.log(
    JSON.stringify(
      {
        bench: "load",
        machine: {
          cpu: os.cpus()[0]?.model,
          cores: os.availableParallelism(),
          memGB: Math.round(os.totalmem() / 2 ** 30),
          node: process.version,
        },
        load: {
          running: concurrent,
          queued: queuedExtra,
          run: `${heavy.model} on ${heavy.dataset}, ${heavy.numNodes} nodes, C=${heavy.fraction}, B=${heavy.batchSize}`,
          roundsCompleted: after.reduce((s, r) => s + r.completedRounds, 0),
          seconds,
        },
        latencyMs: {
          health: percentiles(health),
          listRuns: percentiles(listing),
          stop: percentiles(stop),
        },
        coordinatorRssMB: Math.round(rss),
        target: "p95 < 100 ms for health, listing and stop",
      },
      null,
      2,
    ),
  );
} finally {
  coordinator.kill("SIGTERM");
  await new Promise((r) => coordinator.once("exit", r));
  await chain.stop();
  rmSync(dir, { recursive: true, force: true });
}
