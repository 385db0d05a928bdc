/**
 * Soak benchmark (issue 7): one long run of many simulated nodes on the real stack, to see that
 * time and memory per round stay flat. A fresh `hardhat node` with the contracts deployed (as the
 * tests start it), the coordinator in this process with the TensorFlow.js engine on worker
 * threads, every round recorded on chain through the outbox, and the audit at the end.
 *
 *   node --import tsx scripts/bench-soak.ts [--nodes 120] [--rounds 50] [--model logreg]
 *     [--train-limit 60000] [--fraction 1] [--workers <cores>] [--seed 1]
 *
 * Setting: MNIST IID across the nodes, 1 local epoch, batch 20, FedAvg, loss-improvement rewards
 * (every node's update scored on the validation split: one evaluation per participant per round).
 *
 * stdout, JSON lines: the setting with the machine and engine, then one line per round
 * - ms: wall time from the previous round's end (round 1: from its start) to this round's end;
 *   coordinatorMs: the round as the coordinator times it (training to evaluation);
 * - rssMB: resident memory of this process (coordinator, engine workers' wasm heaps included);
 *   heapUsedMB / externalMB: the main thread's V8 heap and the memory outside it (buffers);
 * - numTensors: tf.memory().numTensors summed over the engine workers (flat = no tensor leak);
 * - onChain: rounds recorded on chain so far (the outbox runs behind training);
 * then a summary: mean/p95 round time, rss at start/end/max, heap growth, rounds on chain, the
 * audit verdict. Coordinator and worker logs go to stderr. The hardhat node is another process
 * and is not in these memory figures.
 */
import os from "node:os";
import { parseArgs } from "node:util";
import { keccak256, toBytes, type Address } from "viem";
import type {
  CreateRunRequest,
  RoundRecord,
  RunEvent,
  RunSummary,
} from "../backend/src/domain/index.js";
import { auditRun } from "../backend/src/audit/audit-run.js";
import { loadConfig } from "../backend/src/config.js";
import { createCoordinator } from "../backend/src/coordinator.js";
import {
  engineInfo,
  type TrainingPool,
  type EngineInfo,
  type ModelKind,
} from "../backend/src/engine/index.js";
import type { RunEngineFactory } from "../backend/src/runs/run-engine.js";
import { runEngineFactory } from "../backend/src/runs/tfjs-run-engine.js";
import { contributionLedgerAbi } from "../chain/generated/abis.js";
import { api, listen } from "../test/helpers/http.js";
import { startLocalChain } from "../test/helpers/local-chain.js";
import { tempDir } from "../test/helpers/temp-dir.js";

process.env.FEDLEDGER_ENGINE_QUIET ??= "1";

const { values } = parseArgs({
  options: {
    nodes: { type: "string", default: "120" },
    rounds: { type: "string", default: "50" },
    model: { type: "string", default: "logreg" },
    "train-limit": { type: "string", default: "60000" },
    fraction: { type: "string", default: "1" },
    workers: { type: "string", default: String(os.availableParallelism()) },
    seed: { type: "string", default: "1" },
  },
});

function int(name: keyof typeof values, min: number, max: number): number {
  const v = Number(values[name]);
  if (!Number.isInteger(v) || v < min || v > max)
    throw new Error(`--${name} must be an integer in [${min}, ${max}], got ${values[name]}`);
  return v;
}

const nodes = int("nodes", 1, 1000);
const rounds = int("rounds", 1, 10_000);
const trainLimit = int("train-limit", 100, 60_000);
const workers = int("workers", 1, 64);
const seed = int("seed", 0, 2 ** 31 - 1);
const fraction = Number(values.fraction);
if (!(fraction > 0 && fraction <= 1)) throw new Error("--fraction must be in (0, 1]");
const model = values.model as ModelKind;
if (!["logreg", "2nn", "cnn"].includes(model)) throw new Error("--model: logreg, 2nn or cnn");

// Our lines on stdout; the coordinator's console.log (one line per round) goes to stderr.
const emit = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);
console.log = (...args: unknown[]) => console.error(...args);

const MB = 2 ** 20;
const mb = (bytes: number) => Number((bytes / MB).toFixed(1));
const machine = {
  cpu: os.cpus()[0]?.model ?? "unknown",
  cores: os.availableParallelism(),
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  node: process.version,
  /** 1-minute load average when the bench starts (other work on the machine skews the times). */
  loadAverage: Number(os.loadavg()[0]!.toFixed(2)),
};

/**
 * The production engine factory (backend/src/runs/tfjs-run-engine.ts), with each run's TrainingPool
 * kept here so the bench can ask the workers for tf.memory() after every round.
 */
let pool: TrainingPool | undefined;
let poolInfo: EngineInfo | undefined;
const productionFactory = runEngineFactory({
  workers,
  onPool: (p, info) => {
    pool = p;
    poolInfo = info;
  },
});
const engineFactory: RunEngineFactory = async (config) => {
  const engine = await productionFactory(config);
  const p = pool!;
  return {
    ...engine,
    // Answers the last round's tf.memory() request before the workers stop.
    close: async () => {
      await p.memory().catch(() => undefined);
      await engine.close();
    },
  };
};

const t0 = Date.now();
const rssAtStart = process.memoryUsage().rss;
const chain = await startLocalChain();
const dataDir = tempDir("fl-soak-");
const coord = await createCoordinator(
  loadConfig({
    CHAIN_RPC_URL: chain.rpcUrl,
    DEPLOYMENT_FILE: chain.deploymentFile,
    DATA_DIR: dataDir,
  }),
  {
    engineFactory,
    engineInfo,
    outbox: { baseDelayMs: 50, maxDelayMs: 1000, idleMs: 100 },
  },
);
await coord.start();
const server = await listen(coord.app);

const request: CreateRunRequest = {
  name: `soak: ${nodes} nodes x ${rounds} rounds`,
  dataset: "mnist",
  trainLimit,
  model,
  partition: { kind: "iid" },
  numNodes: nodes,
  fraction,
  rounds,
  localEpochs: 1,
  batchSize: 20,
  learningRate: 0.1,
  strategy: { name: "fedavg" },
  reward: { policy: "loss-improvement", poolPerRound: "100" },
  seed,
};

interface RoundLine {
  round: number;
  ms: number;
  coordinatorMs: number;
  participants: number;
  accepted: number;
  rssMB: number;
  heapUsedMB: number;
  externalMB: number;
  numTensors: number | null;
  testAccuracy: number;
  onChain: number;
}

const lines: RoundLine[] = [];
let exitCode = 0;
try {
  const created = await api<RunSummary>(server.url, "POST", "/api/runs", request);
  if (created.status !== 201) throw new Error(`POST /api/runs: ${JSON.stringify(created.body)}`);
  const runId = created.body.id;

  let onChain = 0;
  let lastEnd: number | undefined;
  let tail: Promise<void> = Promise.resolve();
  let failure: string | undefined;
  const done = new Promise<void>((resolve) => {
    coord.events.subscribe(runId, (e: RunEvent) => {
      const now = Date.now();
      if (e.type === "round-started" && e.round === 1) lastEnd = now;
      if (e.type === "contribution-recorded") onChain++;
      if (e.type === "run-status" && (e.status === "completed" || e.status === "failed")) {
        if (e.status === "failed") failure = e.error ?? "failed";
        resolve();
      }
      if (e.type !== "round-aggregated") return;
      // Sample at once (the next round has not started yet); the workers' tensor counts come
      // back when their queues reach the request, so lines are printed in order from a chain.
      const mem = process.memoryUsage();
      const line: RoundLine = {
        round: e.round,
        ms: now - (lastEnd ?? now),
        coordinatorMs: e.durationMs,
        participants: e.accepted + e.rejected,
        accepted: e.accepted,
        rssMB: mb(mem.rss),
        heapUsedMB: mb(mem.heapUsed),
        externalMB: mb(mem.external),
        numTensors: null,
        testAccuracy: Number(e.testAccuracy.toFixed(4)),
        onChain,
      };
      lastEnd = now;
      lines.push(line);
      const tensors = pool
        ? pool.memory().then(
            (m) => m.reduce((s, w) => s + w.numTensors, 0),
            () => null,
          )
        : Promise.resolve(null);
      tail = tail.then(async () => {
        line.numTensors = await tensors;
        emit(line);
      });
    });
  });

  // The setting line as soon as the engine is up (the run's factory has started the pool).
  while (!poolInfo) await new Promise((r) => setTimeout(r, 100));
  emit({
    bench: "soak",
    setting: { ...request, reward: request.reward?.policy, workers },
    engine: { backend: poolInfo.backend, threads: poolInfo.threads, simd: poolInfo.simd, workers },
    machine,
    chain: { rpcUrl: chain.rpcUrl, setupSeconds: Number(((Date.now() - t0) / 1000).toFixed(1)) },
  });

  await done;
  await tail;
  if (failure) throw new Error(`run ${runId} failed: ${failure}`);
  const trainedAt = Date.now();

  // Every round on chain (the outbox may still be sending the last ones).
  const deadline = Date.now() + 600_000;
  let recorded: RoundRecord[] = [];
  for (;;) {
    recorded = (await api<RoundRecord[]>(server.url, "GET", `/api/runs/${runId}/rounds`)).body;
    if (recorded.length === rounds && recorded.every((r) => r.txHash !== null)) break;
    if (Date.now() > deadline) throw new Error("rounds not all recorded on chain within 10 min");
    await new Promise((r) => setTimeout(r, 500));
  }
  const drainMs = Date.now() - trainedAt;
  const roundEvents = await coord.publicClient.getContractEvents({
    address: coord.deployment.contracts.ContributionLedger.address as Address,
    abi: contributionLedgerAbi,
    eventName: "RoundRecorded",
    args: { runId: keccak256(toBytes(runId)) },
    fromBlock: 0n,
  });
  const lastTx = recorded.at(-1)!.txHash as `0x${string}`;
  const lastReceipt = await coord.publicClient.getTransactionReceipt({ hash: lastTx });
  const audit = await auditRun(coord.publicClient, coord.deployment, runId, coord.db);

  const times = lines.map((l) => l.ms).sort((a, b) => a - b);
  const p95 = times[Math.min(times.length - 1, Math.ceil(0.95 * times.length) - 1)]!;
  const mean = times.reduce((s, x) => s + x, 0) / times.length;
  const rss = lines.map((l) => l.rssMB);
  const first = lines[0]!;
  const last = lines.at(-1)!;
  // Growth over the second half: the first rounds include warm-up (JIT, wasm heaps, caches).
  const mid = lines[Math.floor(lines.length / 2)]!;
  emit({
    summary: {
      runId,
      rounds: lines.length,
      nodes,
      participantsPerRound: first.participants,
      roundMs: {
        mean: Math.round(mean),
        p50: times[Math.floor(times.length / 2)]!,
        p95,
        max: times.at(-1)!,
        first: first.ms,
      },
      rssMB: {
        beforeChain: mb(rssAtStart),
        round1: first.rssMB,
        end: last.rssMB,
        max: Math.max(...rss),
        growthSecondHalf: Number((last.rssMB - mid.rssMB).toFixed(1)),
      },
      heapUsedMB: {
        round1: first.heapUsedMB,
        end: last.heapUsedMB,
        growth: Number((last.heapUsedMB - first.heapUsedMB).toFixed(1)),
        growthSecondHalf: Number((last.heapUsedMB - mid.heapUsedMB).toFixed(1)),
      },
      numTensors: { round1: first.numTensors, end: last.numTensors },
      testAccuracy: { round1: first.testAccuracy, end: last.testAccuracy },
      chain: {
        roundsRecorded: roundEvents.length,
        contributions: audit.contributions,
        lastRoundGas: Number(lastReceipt.gasUsed),
        drainAfterTrainingMs: drainMs,
      },
      audit: {
        verdict: audit.ok ? "PASS" : "FAIL",
        failed: audit.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`),
      },
      minutes: Number(((Date.now() - t0) / 60_000).toFixed(1)),
      loadAverageAtEnd: Number(os.loadavg()[0]!.toFixed(2)),
    },
  });
  if (!audit.ok || roundEvents.length !== rounds) exitCode = 1;
} catch (err) {
  console.error(`bench-soak: ${(err as Error).message}`);
  exitCode = 1;
} finally {
  await server.close();
  await coord.close();
  await chain.stop();
}
process.exit(exitCode);
