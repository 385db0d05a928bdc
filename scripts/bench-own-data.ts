/**
 * `npm run bench:own-data [-- <run file>]`: a run on the user's own data (default
 * presets/breast-cancer-tabular.yaml) trained federated and centralised by the same engine, side
 * by side on this machine. The run file is resolved as the coordinator resolves a run request (its
 * data under FEDLEDGER_DATA_ROOT, default datasets/), then:
 *
 * - federated: the run's own engine (runEngineFactory: its partition, its workers), the run's
 *   strategy, round(C × nodes) nodes a round, E local epochs, batch B, learning rate lr;
 * - centralised: the same model, initial weights, batch size and learning rate trained on the whole
 *   training set, E epochs per round, so after round r both have made r × E passes over each sample.
 *
 * Rounds alternate (federated round r, then centralised round r) and each prints one JSON line with
 * both test accuracies, on the run's test data. Repeats with SEEDS (default "1,2,3") and prints the
 * median final accuracies. No chain and no rewards: this measures learning, not the ledger.
 */
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { CreateRunRequest, parseRunFile, runModelRef } from "../backend/src/domain/index.js";
import { createStrategy } from "../backend/src/fl/strategies/registry.js";
import { selectParticipants } from "../backend/src/runs/participant-selection.js";
import { resolveRunData } from "../backend/src/runs/run-data.js";
import { DEFAULT_DATA_ROOT } from "../backend/src/data-root/own-data-files.js";
import { runEngineFactory } from "../backend/src/runs/tfjs-run-engine.js";

process.env.FEDLEDGER_ENGINE_QUIET ??= "1";

const file = path.resolve(process.argv[2] ?? "presets/breast-cancer-tabular.yaml");
const seeds = (process.env.SEEDS ?? "1,2,3").split(",").map(Number);
const dataRoot = path.resolve(process.env.FEDLEDGER_DATA_ROOT ?? DEFAULT_DATA_ROOT);
const request = CreateRunRequest.parse(parseRunFile(readFileSync(file, "utf8"), file).request);

const machine = {
  cpu: os.cpus()[0]?.model ?? "unknown",
  cores: os.availableParallelism(),
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  node: process.version,
};
console.log(
  JSON.stringify({ bench: "own-data", file: path.relative(process.cwd(), file), machine }),
);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const finals = { federated: [] as number[], centralised: [] as number[] };

for (const seed of seeds) {
  const config = await resolveRunData({ ...request, seed }, dataRoot);
  const model = runModelRef(config);
  const engine = await runEngineFactory({ dataRoot })(config);
  try {
    const shards = engine.partition(config.numNodes, seed);
    const all = Int32Array.from({ length: engine.trainLabels.length }, (_, i) => i);
    const strategy = createStrategy(config.strategy);
    let federated = engine.initialWeights(seed);
    let centralised = federated;
    for (let round = 1; round <= config.rounds; round++) {
      const chosen = selectParticipants(config.numNodes, config.fraction, seed, round);
      const updates = await Promise.all(
        chosen.map(async (k, i) => {
          const r = await engine.train({
            model,
            weights: federated,
            indices: shards[k]!,
            epochs: config.localEpochs,
            batchSize: config.batchSize,
            learningRate: config.learningRate,
            seed: (seed * 7_919 + round * 104_729 + i) >>> 0,
          });
          return { nodeId: `node-${k}`, weights: r.weights, numSamples: r.numSamples };
        }),
      );
      federated = strategy.aggregate(federated, updates).weights;
      centralised = (
        await engine.train({
          model,
          weights: centralised,
          indices: all,
          epochs: config.localEpochs,
          batchSize: config.batchSize,
          learningRate: config.learningRate,
          seed: (seed * 31 + round) >>> 0,
        })
      ).weights;
      const [fed, cen] = await engine.evaluateMany(model, [federated, centralised], "test");
      console.log(
        JSON.stringify({
          seed,
          round,
          federatedAccuracy: Number(fed!.accuracy.toFixed(4)),
          centralisedAccuracy: Number(cen!.accuracy.toFixed(4)),
        }),
      );
      if (round === config.rounds) {
        finals.federated.push(fed!.accuracy);
        finals.centralised.push(cen!.accuracy);
      }
    }
  } finally {
    await engine.close();
  }
}

console.log(
  JSON.stringify({
    summary: {
      rounds: request.rounds,
      seeds,
      medianFederatedAccuracy: Number(median(finals.federated).toFixed(4)),
      medianCentralisedAccuracy: Number(median(finals.centralised).toFixed(4)),
      federated: finals.federated.map((a) => Number(a.toFixed(4))),
      centralised: finals.centralised.map((a) => Number(a.toFixed(4))),
    },
  }),
);
