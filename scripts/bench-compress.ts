/**
 * `npm run bench:compress`: what update compression costs in accuracy and saves in bytes, on the
 * FedAvg paper's MNIST CNN (1,663,370 parameters): 100 nodes, C = 0.1, E = 1, B = 10, lr 0.05,
 * IID and the pathological non-IID shards (2 label-sorted shards of 300 per node), 50 rounds per
 * setting, every setting beside no compression in one run, each from the same initial model, the
 * same participants per round and the same minibatch seeds.
 *
 * Nodes run the codec exactly as simulated nodes and node agents do (compression/
 * update-compression.ts): decode the round's download, train from it, compress the delta (with
 * each node's own error-feedback residual for top-k), and the coordinator decodes every upload
 * onto its full-precision model before FedAvg. Bytes are the payloads' exact lengths.
 *
 * Prints one JSON line per evaluated round, then a summary JSON and a Markdown table. Test
 * accuracy is measured on the 9,000 test samples outside the validation split, every round until
 * 97% is reached and at rounds 10, 20, 30, 40 and 50. Options (env): PARTITIONS (default
 * "iid,shards"), SETTINGS (comma-separated names, default all), ROUNDS (default 50), WORKERS
 * (default: cores), SEED (default 1). 6 to 18 minutes per setting on 2 cores: about 2 hours for all.
 */
import os from "node:os";
import {
  CompressionSpec,
  usesCompression,
  type CompressionSpec as Compression,
} from "../backend/src/domain/compression.js";
import {
  ErrorFeedback,
  compressUpload,
  decodeDownload,
  decodeUpload,
  encodeDownload,
  rawBytes,
} from "../backend/src/compression/update-compression.js";
import { paramSpecs } from "../backend/src/engine/models/model-ref.js";
import { createStrategy } from "../backend/src/fl/strategies/registry.js";
import { selectParticipants } from "../backend/src/runs/participant-selection.js";
import {
  TrainingPool,
  initialWeights,
  loadDataset,
  partition,
  type PartitionSpec,
} from "../backend/src/engine/index.js";

process.env.FEDLEDGER_ENGINE_QUIET ??= "1";

const SETTINGS: Record<string, unknown> = {
  none: {},
  int8: { upload: { quantise: "int8" } },
  int4: { upload: { quantise: "int4" } },
  "top-k 10%": { upload: { topK: 0.1 } },
  "top-k 5% + int4 (int8 down)": {
    upload: { topK: 0.05, quantise: "int4" },
    download: { quantise: "int8" },
  },
};
const pick = (env: string | undefined, all: string[]) => (env ? env.split(",") : all);
const partitions = pick(process.env.PARTITIONS, ["iid", "shards"]);
const settings = pick(process.env.SETTINGS, Object.keys(SETTINGS));
for (const s of settings) if (!(s in SETTINGS)) throw new Error(`unknown setting ${s}`);
const rounds = Number(process.env.ROUNDS ?? 50);
const workers = Number(process.env.WORKERS ?? os.availableParallelism());
const seed = Number(process.env.SEED ?? 1);
const NODES = 100;
const FRACTION = 0.1;
const EPOCHS = 1;
const BATCH = 10;
const LR = 0.05;
const TARGET = 0.97;
const CHECKPOINTS = [10, 20, 30, 40, 50];
const model = "cnn" as const;
const tensors = paramSpecs(model).map((p) => p.shape.reduce((a, b) => a * b, 1));

const machine = {
  cpu: os.cpus()[0]?.model ?? "unknown",
  cores: os.availableParallelism(),
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  node: process.version,
};

const data = await loadDataset("mnist");
const pool = new TrainingPool({ workers });
const engine = await pool.start({ name: "mnist" });
const start = initialWeights(model, seed);
const n = start.length;
console.log(
  JSON.stringify({
    bench: "compress",
    setting: { dataset: "mnist", model, parameters: n, nodes: NODES, C: FRACTION, E: EPOCHS },
    batch: BATCH,
    lr: LR,
    rounds,
    seed,
    engine: { backend: engine.backend, simd: engine.simd, workers },
    machine,
  }),
);

interface Result {
  partition: string;
  setting: string;
  uploadBytesPerNode: number;
  downloadBytesPerNode: number;
  uploadRatio: number;
  downloadRatio: number;
  accuracy: Record<number, number>;
  roundsTo97: number | null;
  minutes: number;
}

async function runSetting(
  kind: string,
  name: string,
  compression: Compression,
  shards: ReturnType<typeof partition>,
): Promise<Result> {
  const t0 = Date.now();
  const strategy = createStrategy({ name: "fedavg" });
  const feedback = new Map<number, ErrorFeedback>();
  const compressed = usesCompression(compression);
  let global: Float32Array = Float32Array.from(start);
  const accuracy: Record<number, number> = {};
  let roundsTo97: number | null = null;
  let up = 0;
  let down = 0;
  let sent = 0;
  for (let round = 1; round <= rounds; round++) {
    const chosen = selectParticipants(NODES, FRACTION, seed, round);
    const download =
      compressed && compression.download.quantise !== "none"
        ? encodeDownload(global, compression.download, tensors).bytes
        : null;
    const from = download ? decodeDownload(download, compression.download, n, tensors) : global;
    const updates = await Promise.all(
      chosen.map(async (k, i) => {
        const taskSeed = (seed * 7_919 + round * 104_729 + i) >>> 0;
        const r = await pool.train({
          model,
          weights: from,
          indices: shards[k]!,
          epochs: EPOCHS,
          batchSize: BATCH,
          learningRate: LR,
          seed: taskSeed,
        });
        if (!compressed) {
          up += rawBytes(n);
          return { nodeId: `node-${k}`, weights: r.weights, numSamples: r.numSamples };
        }
        let fb = feedback.get(k);
        if (!fb) feedback.set(k, (fb = new ErrorFeedback()));
        const c = compressUpload(from, r.weights, compression.upload, tensors, fb, taskSeed);
        up += c.bytes.byteLength;
        const weights = decodeUpload(c.bytes, compression.upload, global, tensors);
        return { nodeId: `node-${k}`, weights, numSamples: r.numSamples };
      }),
    );
    down += (download?.byteLength ?? rawBytes(n)) * chosen.length;
    sent += chosen.length;
    global = strategy.aggregate(global, updates).weights;
    if (roundsTo97 === null || CHECKPOINTS.includes(round)) {
      const test = await pool.evaluate({ model, weights: global, split: "test" });
      accuracy[round] = test.accuracy;
      if (roundsTo97 === null && test.accuracy >= TARGET) roundsTo97 = round;
      console.log(
        JSON.stringify({ partition: kind, setting: name, round, testAccuracy: test.accuracy }),
      );
    }
  }
  return {
    partition: kind,
    setting: name,
    uploadBytesPerNode: Math.round(up / sent),
    downloadBytesPerNode: Math.round(down / sent),
    uploadRatio: rawBytes(n) / (up / sent),
    downloadRatio: rawBytes(n) / (down / sent),
    accuracy,
    roundsTo97,
    minutes: (Date.now() - t0) / 60_000,
  };
}

const results: Result[] = [];
try {
  for (const kind of partitions) {
    const spec: PartitionSpec =
      kind === "iid" ? { kind: "iid" } : { kind: "shards", shardsPerNode: 2, shardSize: 300 };
    const shards = partition(data.train.y, NODES, spec, seed);
    for (const name of settings) {
      const compression = CompressionSpec.parse(SETTINGS[name]);
      results.push(await runSetting(kind, name, compression, shards));
    }
  }
} finally {
  await pool.close();
}

const pct = (a: number | undefined) => (a === undefined ? "–" : `${(a * 100).toFixed(2)}%`);
const mb = (b: number) => `${(b / 1e6).toFixed(3)} MB`;
console.log(JSON.stringify({ summary: results, machine }));
console.log(
  "\n| partition | setting | up per node | up ratio | down per node | down ratio | round 20 | round 50 | Δ round 50 | rounds to 97% |",
);
console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
for (const r of results) {
  const base = results.find((b) => b.partition === r.partition && b.setting === "none");
  const last = r.accuracy[rounds];
  const delta =
    base && last !== undefined && base.accuracy[rounds] !== undefined
      ? `${((last - base.accuracy[rounds]!) * 100).toFixed(2)} pt`
      : "–";
  console.log(
    `| ${r.partition} | ${r.setting} | ${mb(r.uploadBytesPerNode)} | ${r.uploadRatio.toFixed(1)}× | ${mb(r.downloadBytesPerNode)} | ${r.downloadRatio.toFixed(1)}× | ${pct(r.accuracy[20])} | ${pct(last)} | ${delta} | ${r.roundsTo97 ?? "not reached"} |`,
  );
}
