/**
 * `npm run bench:registry` (issue 16): what keeping every round's model version costs. The FedAvg
 * paper's MNIST CNN (100 nodes, C = 0.1) on the real stack: two coordinators in this process, each
 * on its own fresh `hardhat node` with the contracts deployed, one keeping every round's
 * artifacts (retention "all": the model version and the nodes' updates) and one keeping none
 * (CoordinatorDeps.keepRoundArtifacts = false, the bench-only switch). Runs alternate between
 * them (keep, none, none, keep, ...) so that a machine busy with other work slows both alike, and
 * medians are reported. Each run's chain writes are drained before the next run starts.
 *
 *   node --import tsx scripts/bench-registry.ts [--rounds 4] [--pairs 2] [--epochs 1]
 *     [--batch 10] [--train-limit 60000] [--workers <cores>] [--seed 1]
 *
 * --train-limit N gives each node N/100 training samples (all 60,000: 600 each, as in the paper);
 * fewer make the rounds shorter, and the same bytes stored a larger share of them.
 *
 * stdout, JSON lines: the setting with the machine line, one line per run (its rounds' times and
 * the bytes it stored), then the summary:
 * - roundMs: wall time from one round's end to the next one's end (round 1, which includes the
 *   engine's warm-up, is left out), median per mode;
 * - recordMs: the record step alone (from the aggregated model's evaluation to the round's event:
 *   artifact files, the transaction, retention), median per mode;
 * - overheadPercent: (keep - none) / none of the round medians, and of the record step's medians
 *   over the none round median (the direct cost, less exposed to other work on the machine);
 * - bytesPerRound: what one round adds to the artifact store with retention "all", by kind.
 */
import os from "node:os";
import { parseArgs } from "node:util";
import type {
  CreateRunRequest,
  RoundRecord,
  RunEvent,
  RunSummary,
} from "../backend/src/domain/index.js";
import { loadConfig } from "../backend/src/config.js";
import { createCoordinator, type Coordinator } from "../backend/src/coordinator.js";
import { engineInfo } from "../backend/src/engine/index.js";
import { runEngineFactory } from "../backend/src/runs/tfjs-run-engine.js";
import { api, listen, type TestServer } from "../test/helpers/http.js";
import { startLocalChain } from "../test/helpers/local-chain.js";
import { tempDir } from "../test/helpers/temp-dir.js";

process.env.FEDLEDGER_ENGINE_QUIET ??= "1";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "4" },
    pairs: { type: "string", default: "2" },
    epochs: { type: "string", default: "1" },
    batch: { type: "string", default: "10" },
    "train-limit": { type: "string", default: "60000" },
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

const rounds = int("rounds", 2, 1000);
const pairs = int("pairs", 1, 100);
const epochs = int("epochs", 1, 20);
const batch = int("batch", 1, 600);
const trainLimit = int("train-limit", 100, 60_000);
const workers = int("workers", 1, 64);
const seed = int("seed", 0, 2 ** 31 - 1);

// Our lines on stdout; the coordinators' console.log (one line per round) goes to stderr.
const emit = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);
console.log = (...args: unknown[]) => console.error(...args);

type Mode = "keep" | "none";

interface RunResult {
  mode: Mode;
  runId: string;
  roundMs: number[];
  recordMs: number[];
  bytes: { model: number; update: number };
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const request: CreateRunRequest = {
  name: "bench:registry",
  dataset: "mnist",
  ...(trainLimit < 60_000 ? { trainLimit } : {}),
  model: "cnn",
  partition: { kind: "iid" },
  numNodes: 100,
  fraction: 0.1,
  rounds,
  localEpochs: epochs,
  batchSize: batch,
  learningRate: 0.05,
  strategy: { name: "fedavg" },
  retention: { models: { keep: "all" }, updates: { keep: "all" } },
  seed,
};

async function startStack(mode: Mode) {
  const chain = await startLocalChain();
  const coord = await createCoordinator(
    loadConfig({
      CHAIN_RPC_URL: chain.rpcUrl,
      DEPLOYMENT_FILE: chain.deploymentFile,
      DATA_DIR: tempDir(`fl-registry-${mode}-`),
    }),
    {
      engineFactory: runEngineFactory({ workers }),
      engineInfo,
      outbox: { baseDelayMs: 50, maxDelayMs: 1000, idleMs: 100 },
      keepRoundArtifacts: mode === "keep",
    },
  );
  await coord.start();
  return { chain, coord, server: await listen(coord.app) };
}

/** Waits until every round of the run is on chain (the outbox sends behind training). */
async function drained(server: TestServer, runId: string): Promise<void> {
  const deadline = Date.now() + 600_000;
  for (;;) {
    const r = (await api<RoundRecord[]>(server.url, "GET", `/api/runs/${runId}/rounds`)).body;
    if (r.length === rounds && r.every((x) => x.txHash !== null)) return;
    if (Date.now() > deadline) throw new Error(`run ${runId}: rounds not on chain within 10 min`);
    await new Promise((res) => setTimeout(res, 500));
  }
}

/** One run on `coord`: each round's wall time and record step, and what its rounds stored. */
async function benchRun(coord: Coordinator, server: TestServer, mode: Mode): Promise<RunResult> {
  const created = await api<RunSummary>(server.url, "POST", "/api/runs", request);
  if (created.status !== 201) throw new Error(`POST /api/runs: ${JSON.stringify(created.body)}`);
  const runId = created.body.id;
  const ends = new Map<number, number>();
  await new Promise<void>((resolve, reject) => {
    coord.events.subscribe(runId, (e: RunEvent) => {
      if (e.type === "round-aggregated") ends.set(e.round, Date.now());
      if (e.type === "run-status" && e.status === "completed") resolve();
      if (e.type === "run-status" && e.status === "failed")
        reject(new Error(`run ${runId} failed: ${e.error ?? ""}`));
    });
  });
  const records = (await api<RoundRecord[]>(server.url, "GET", `/api/runs/${runId}/rounds`)).body;
  const roundMs: number[] = [];
  const recordMs: number[] = [];
  for (const r of records) {
    const end = ends.get(r.round);
    if (end === undefined || r.finishedAt === null) throw new Error(`round ${r.round}: no times`);
    recordMs.push(end - r.finishedAt);
    const previous = ends.get(r.round - 1);
    if (previous !== undefined) roundMs.push(end - previous);
  }
  const refs = (
    await api<{ round: number; kind: string; bytes: number | null }[]>(
      server.url,
      "GET",
      `/api/runs/${runId}/artifacts`,
    )
  ).body.filter((a) => a.round > 0);
  const sum = (kind: string) =>
    refs.filter((a) => a.kind === kind).reduce((s, a) => s + (a.bytes ?? 0), 0);
  await drained(server, runId);
  return { mode, runId, roundMs, recordMs, bytes: { model: sum("model"), update: sum("update") } };
}

const machine = {
  cpu: os.cpus()[0]?.model ?? "unknown",
  cores: os.availableParallelism(),
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  node: process.version,
  /** 1-minute load average when the bench starts (other work on the machine skews the times). */
  loadAverage: Number(os.loadavg()[0]!.toFixed(2)),
};

const t0 = Date.now();
const stacks = { keep: await startStack("keep"), none: await startStack("none") };
async function stop() {
  for (const s of Object.values(stacks)) {
    await s.server.close().catch(() => undefined);
    await s.coord.close().catch(() => undefined);
    await s.chain.stop().catch(() => undefined);
  }
}
// Interrupted: the hardhat nodes are other processes; stop them too.
for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.once(signal, () => void stop().finally(() => process.exit(130)));
emit({
  bench: "registry",
  setting: { ...request, pairs, workers, retention: "all (keep) vs nothing kept (none)" },
  engine: await engineInfo().catch(() => null),
  machine,
});

let exitCode = 0;
try {
  const results: RunResult[] = [];
  for (let i = 0; i < pairs; i++) {
    const order: Mode[] = i % 2 === 0 ? ["keep", "none"] : ["none", "keep"];
    for (const mode of order) {
      const r = await benchRun(stacks[mode].coord, stacks[mode].server, mode);
      results.push(r);
      emit({ run: r });
    }
  }
  const of = (mode: Mode) => results.filter((r) => r.mode === mode);
  const roundMs = (mode: Mode) => median(of(mode).flatMap((r) => r.roundMs));
  const recordMs = (mode: Mode) => median(of(mode).flatMap((r) => r.recordMs));
  const kept = of("keep");
  const perRound = (kind: "model" | "update") =>
    Math.round(kept.reduce((s, r) => s + r.bytes[kind], 0) / (kept.length * rounds));
  const none = roundMs("none");
  emit({
    summary: {
      roundsPerRun: rounds,
      runsPerMode: pairs,
      roundMs: { keep: roundMs("keep"), none },
      recordMs: { keep: recordMs("keep"), none: recordMs("none") },
      overheadPercent: {
        roundTime: Number(((100 * (roundMs("keep") - none)) / none).toFixed(2)),
        recordStep: Number(((100 * (recordMs("keep") - recordMs("none"))) / none).toFixed(2)),
      },
      bytesPerRound: {
        model: perRound("model"),
        updates: perRound("update"),
        total: perRound("model") + perRound("update"),
      },
      storeBytes: {
        keep: (await stacks.keep.coord.artifacts.usage(stacks.keep.coord.db)).bytes,
        none: (await stacks.none.coord.artifacts.usage(stacks.none.coord.db)).bytes,
      },
      minutes: Number(((Date.now() - t0) / 60_000).toFixed(1)),
      loadAverageAtEnd: Number(os.loadavg()[0]!.toFixed(2)),
    },
  });
} catch (err) {
  console.error(`bench-registry: ${(err as Error).message}`);
  exitCode = 1;
} finally {
  await stop();
}
process.exit(exitCode);
