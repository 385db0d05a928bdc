/**
 * `npm run bench:dp`: accuracy against privacy for DP-FedAvg with LOCAL noise on MNIST, on
 * FedLedger's engine and backend/src/privacy. Like bench:fedavg (100 IID nodes of 600 samples, a
 * fraction C of them per round, FedAvg), but every chosen node sends
 *   clip(local - global, CLIP) + N(0, (z * CLIP)^2 I)
 * and the coordinator adds the mean of those to the global model (equal shards, so FedAvg's
 * sample weights are equal and the mean uses the fixed denominator DP-FedAvg needs).
 *
 * One JSON line per noise multiplier z with the final test accuracy (9,000 test samples outside
 * the validation split) and two epsilons at DELTA (user-level, from the RDP accountant):
 * - epsilonAggregate: the DP-FedAvg number, for an observer of the aggregated models only: each
 *   round is a sampled Gaussian mechanism with q = clients per round / nodes and noise
 *   multiplier z * sqrt(clients per round) (the sum of the local noises);
 * - epsilonLocal: for the coordinator, which sees each noised delta and knows who took part: the
 *   Gaussian mechanism with multiplier z, q = 1, once per round the most-selected node joined.
 * See backend/src/privacy/noise-calibration.ts for why both.
 *
 * A "none" entry runs plain FedAvg (no clipping, no noise) as the baseline. When the noise
 * outweighs the updates the weights drift until local training overflows: the line then says at
 * which round it `diverged` and has no accuracy.
 *
 * Options (env): NOISE (comma-separated multipliers, "none" for the baseline; default
 * "none,0,0.01,0.03,0.1,0.5,1,2"), ROUNDS (30), CLIP (clip norm, 1.0), FRACTION (0.1), NODES (100), EPOCHS (1),
 * BATCH (32), LR (0.05), MODEL (2nn), DELTA (1e-5), WORKERS (cores), SEED (1), VERBOSE=1 for one
 * line per round.
 */
import os from "node:os";
import { selectParticipants } from "../backend/src/runs/participant-selection.js";
import {
  TrainingPool,
  deriveSeed,
  initialWeights,
  loadDataset,
  partition,
  type ModelKind,
} from "../backend/src/engine/index.js";
import {
  RdpAccountant,
  aggregateNoiseMultiplier,
  applyDelta,
  localAccountingSteps,
  meanDelta,
  modelDelta,
  privatizeDelta,
  seededNormalSource,
} from "../backend/src/privacy/index.js";

process.env.FEDLEDGER_ENGINE_QUIET ??= "1";

function numberEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  const v = raw === undefined || raw === "" ? fallback : Number(raw);
  if (!Number.isFinite(v)) throw new Error(`${name} must be a number, got ${raw}`);
  return v;
}

const noiseSettings: (number | "none")[] = (process.env.NOISE ?? "none,0,0.01,0.03,0.1,0.5,1,2")
  .split(",")
  .map((s) => s.trim())
  .filter((s) => s !== "")
  .map((s) => {
    if (s === "none") return "none";
    const z = Number(s);
    if (!(Number.isFinite(z) && z >= 0))
      throw new Error(`NOISE entries must be "none" or numbers >= 0, got ${s}`);
    return z;
  });
const rounds = numberEnv("ROUNDS", 30);
const clipNorm = numberEnv("CLIP", 1.0);
const fraction = numberEnv("FRACTION", 0.1);
const nodes = numberEnv("NODES", 100);
const epochs = numberEnv("EPOCHS", 1);
const batchSize = numberEnv("BATCH", 32);
const lr = numberEnv("LR", 0.05);
const delta = numberEnv("DELTA", 1e-5);
const workers = numberEnv("WORKERS", os.availableParallelism());
const seed = numberEnv("SEED", 1);
const model = (process.env.MODEL ?? "2nn") as ModelKind;
const verbose = process.env.VERBOSE === "1";

const machine = {
  cpu: os.cpus()[0]?.model ?? "unknown",
  cores: os.availableParallelism(),
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  node: process.version,
};

const data = await loadDataset("mnist");
const shards = partition(data.train.y, nodes, { kind: "iid" }, seed);
const pool = new TrainingPool({ workers });
const engine = await pool.start({ name: "mnist" });
const perRound = selectParticipants(nodes, fraction, seed, 1).length;
const samplingRate = perRound / nodes;

console.log(
  JSON.stringify({
    bench: "dp-fedavg-local-noise",
    setting: {
      dataset: "mnist",
      model,
      partition: "iid",
      nodes,
      clientsPerRound: perRound,
      C: fraction,
      E: epochs,
      B: batchSize,
      lr,
      rounds,
      clipNorm,
      delta,
      noiseMultipliers: noiseSettings,
      seed,
    },
    engine: { backend: engine.backend, threads: engine.threads, simd: engine.simd, workers },
    machine,
  }),
);

/** How often the most-selected node took part in rounds 1..upTo (the same for every setting). */
function mostRoundsJoined(upTo: number): number {
  const joined = new Array<number>(nodes).fill(0);
  for (let round = 1; round <= upTo; round++)
    for (const k of selectParticipants(nodes, fraction, seed, round)) joined[k]!++;
  return Math.max(...joined);
}

try {
  for (const [settingIndex, z] of noiseSettings.entries()) {
    const started = Date.now();
    let global = initialWeights(model, seed);
    const aggregate = new RdpAccountant();
    const norms: number[] = [];
    let clipped = 0;
    let last: { accuracy: number | null; loss: number | null } = { accuracy: null, loss: null };
    let diverged: string | null = null;
    let roundsRun = 0;
    for (let round = 1; round <= rounds; round++) {
      const roundStart = Date.now();
      const chosen = selectParticipants(nodes, fraction, seed, round);
      const deltas = await Promise.all(
        chosen.map(async (k, i) => {
          const r = await pool.train({
            model,
            weights: global,
            indices: shards[k]!,
            epochs,
            batchSize,
            learningRate: lr,
            seed: (seed * 7_919 + round * 104_729 + i) >>> 0,
          });
          const d = modelDelta(r.weights, global);
          if (z === "none") return d;
          // Each node's own noise source (reproducible here; a real node uses secureNormalSource).
          const rng = seededNormalSource(deriveSeed(seed, settingIndex, round, k));
          const p = privatizeDelta(d, { clipNorm, noiseMultiplier: z }, rng);
          norms.push(p.norm);
          if (p.wasClipped) clipped++;
          return p.delta;
        }),
      ).catch((e: unknown) => {
        // Noise that outweighs the updates makes the weights drift until local SGD overflows.
        if (e instanceof Error && /diverged/.test(e.message)) {
          diverged = `round ${round}: ${e.message}`;
          return null;
        }
        throw e;
      });
      if (deltas === null) break;
      roundsRun = round;
      global = applyDelta(global, meanDelta(deltas, chosen.length));
      if (z !== "none") aggregate.step(aggregateNoiseMultiplier(z, chosen.length), samplingRate);
      if (verbose || round === rounds) {
        const test = await pool.evaluate({ model, weights: global, split: "test" });
        last = { accuracy: test.accuracy, loss: test.loss };
        if (verbose)
          console.log(
            JSON.stringify({
              z,
              round,
              testAccuracy: Number(test.accuracy.toFixed(4)),
              testLoss: Number(test.loss.toFixed(4)),
              seconds: Number(((Date.now() - roundStart) / 1000).toFixed(1)),
            }),
          );
      }
    }
    let epsilonAggregate: number | null = null;
    let orderAggregate: number | null = null;
    let epsilonLocal: number | null = null;
    const maxJoined = mostRoundsJoined(roundsRun);
    if (z !== "none" && roundsRun > 0) {
      const e = aggregate.getEpsilon(delta);
      epsilonAggregate = e.epsilon;
      orderAggregate = e.order;
      const s = localAccountingSteps(z, maxJoined);
      epsilonLocal = new RdpAccountant()
        .step(s.noiseMultiplier, s.samplingRate, s.steps)
        .getEpsilon(delta).epsilon;
    }
    const sorted = [...norms].sort((a, b) => a - b);
    const round4 = (v: number | null) =>
      v === null ? null : Number.isFinite(v) ? Number(v.toFixed(4)) : String(v);
    console.log(
      JSON.stringify({
        z,
        aggregateNoiseMultiplier:
          z === "none" ? null : round4(aggregateNoiseMultiplier(z, perRound)),
        finalTestAccuracy: round4(last.accuracy),
        finalTestLoss: round4(last.loss),
        diverged,
        epsilonAggregate: round4(epsilonAggregate),
        orderAggregate,
        epsilonLocal: round4(epsilonLocal),
        roundsRun,
        localRoundsOfMostSelectedNode: maxJoined,
        samplingRate,
        medianDeltaNorm: sorted.length ? round4(sorted[Math.floor(sorted.length / 2)]!) : null,
        clippedFraction: norms.length ? round4(clipped / norms.length) : null,
        minutes: Number(((Date.now() - started) / 60_000).toFixed(2)),
      }),
    );
  }
} finally {
  await pool.close();
}
