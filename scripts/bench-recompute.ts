// `npm run bench:recompute`: what the re-execution audit costs. Trains a real MNIST run per model
// (10 nodes, every node every round, so 10 updates per round) on a local chain, then recomputes
// every round's scores from the coordinator's artifacts with `recomputeAudit` (what
// `npm run audit -- --recompute` runs) and prints, per model: artifact bytes fetched per round,
// seconds per round (median, min-max), and the largest deviation from the chain's losses.
// BENCH_MODELS (default "2nn,cnn"), BENCH_ROUNDS (default 3), BENCH_TRAIN_LIMIT (default 6000).
import { rmSync } from "node:fs";
import os from "node:os";
import { createPublicClient, http, keccak256, toBytes } from "viem";
import { recomputeAudit } from "../backend/src/audit/recompute/recompute-cli.js";
import type { RunSummary } from "../backend/src/domain/index.js";
import { finishedRun, startCoordinatorStack } from "../test/helpers/coordinator-stack.js";
import { api } from "../test/helpers/http.js";

const models = (process.env.BENCH_MODELS ?? "2nn,cnn").split(",");
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const trainLimit = Number(process.env.BENCH_TRAIN_LIMIT ?? 6000);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const stack = await startCoordinatorStack({
  dataDirPrefix: "fl-bench-recompute-",
  workers: os.cpus().length,
});
const rows: Record<string, unknown>[] = [];
try {
  for (const model of models) {
    const created = await api<RunSummary>(stack.server.url, "POST", "/api/runs", {
      dataset: "mnist",
      model,
      trainLimit,
      partition: { kind: "iid" },
      numNodes: 10,
      fraction: 1,
      rounds,
      localEpochs: 1,
      batchSize: 32,
      learningRate: 0.05,
      strategy: { name: "fedavg" },
      seed: 3,
    });
    if (created.status !== 201) throw new Error(JSON.stringify(created.body));
    const { run } = await finishedRun(stack.server.url, created.body.id, 1_800_000);
    const report = await recomputeAudit({
      client: createPublicClient({ transport: http(stack.chain.rpcUrl) }),
      deployment: stack.chain.deployment,
      chainRunId: keccak256(toBytes(run.id)),
      from: stack.server.url,
    });
    const ms = report.rounds.map((r) => r.ms);
    for (const c of report.spec.filter((x) => !x.ok))
      console.log(`${model}: ${c.name}: ${c.detail}`);
    for (const r of report.rounds.filter((x) => x.status !== "verified"))
      console.log(
        `${model} round ${r.round}: ${r.status}: ${r.detail}; ${r.contributions[0]?.detail}`,
      );
    rows.push({
      model,
      policy: run.config.reward.policy,
      rounds: report.rounds.length,
      updatesPerRound: report.rounds[0]?.contributions.length,
      artifactMBPerRound: +(median(report.rounds.map((r) => r.bytes)) / 1e6).toFixed(2),
      secondsPerRound: +(median(ms) / 1000).toFixed(2),
      minMax: `${(Math.min(...ms) / 1000).toFixed(2)}-${(Math.max(...ms) / 1000).toFixed(2)}`,
      verified: report.ok,
      maxDeviation: report.maxDeviation,
    });
  }
} finally {
  await stack.server.close();
  await stack.coord.close();
  await stack.chain.stop();
  rmSync(stack.env.DATA_DIR!, { recursive: true, force: true });
}
console.log(
  `machine: ${os.cpus()[0]?.model ?? "unknown"}, ${os.cpus().length} cores, Node ${process.version}, load ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}`,
);
console.table(rows);
console.log(JSON.stringify({ machine: os.cpus()[0]?.model, cores: os.cpus().length, rows }));
