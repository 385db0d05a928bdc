import { expect } from "chai";
import "../helpers/chai-near.js";
import { UploadCompression, DownloadCompression } from "../../backend/src/domain/compression.js";
import {
  PAYLOAD_HEADER_BYTES,
  PayloadError,
  readPayload,
  writePayload,
} from "../../backend/src/compression/payload-format.js";
import { topKIndices } from "../../backend/src/compression/top-k.js";
import {
  ErrorFeedback,
  NonFiniteUpdate,
  compressUpload,
  decodeDownload,
  decodeUpload,
  encodeDownload,
} from "../../backend/src/compression/update-compression.js";
import { mulberry32 } from "../../backend/src/rewards/seeded-random.js";
import { AgentCompression, CompressionRefusal } from "../../backend/src/agent/agent-compression.js";
import {
  roundDownload,
  runCompression,
  tensorSizes,
} from "../../backend/src/compression/run-compression.js";
import type { TrainingEngine } from "../../backend/src/engine/port.js";
import { SimulatedNode } from "../../backend/src/nodes/simulated-node.js";
import { simulatedNodeAccount } from "../../backend/src/nodes/simulated-wallets.js";
import { CompressionSpec } from "../../backend/src/domain/compression.js";
import { parameterCount } from "../../backend/src/engine/models/model-ref.js";
import { AgentTask } from "../../backend/src/nodes/agent-protocol.js";

const TENSORS = [600, 30, 300, 70];
const N = TENSORS.reduce((a, b) => a + b, 0);

function vector(seed: number, n = N, scale = 0.01): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale);
}

const up = (s: Partial<UploadCompression>) => UploadCompression.parse(s);
const zeros = () => new Float32Array(N);

function decodeFails(bytes: Uint8Array, spec: UploadCompression): string {
  try {
    decodeUpload(bytes, spec, zeros(), TENSORS);
  } catch (err) {
    expect(err).to.be.instanceOf(PayloadError);
    return (err as Error).message;
  }
  throw new Error("the payload was accepted");
}

describe("update compression codec (wire format v1)", () => {
  it("float32 dense round-trips exactly; int8 and int4 (per tensor or chunk) err by less than one step", () => {
    const delta = vector(1);
    const f32 = compressUpload(zeros(), delta, up({}), TENSORS, new ErrorFeedback(), 1);
    expect(Array.from(decodeUpload(f32.bytes, up({}), zeros(), TENSORS))).to.deep.equal(
      Array.from(delta),
    );
    for (const [quantise, levels, bytesPerValue] of [
      ["int8", 127, 1],
      ["int4", 7, 0.5],
    ] as const) {
      for (const scale of ["tensor", "chunk"] as const) {
        const spec = up({ quantise, scale, chunkSize: 64 });
        const c = compressUpload(zeros(), delta, spec, TENSORS, new ErrorFeedback(), 2);
        const back = decodeUpload(c.bytes, spec, zeros(), TENSORS);
        expect(Array.from(back)).to.deep.equal(Array.from(c.sent));
        // Stochastic rounding moves a value by less than one step (scale / L) of its group.
        for (let i = 0; i < N; i++)
          expect(Math.abs(back[i]! - delta[i]!)).to.be.at.most(0.01 / levels + 1e-7);
        const scales = scale === "tensor" ? TENSORS.length : Math.ceil(N / 64);
        expect(c.bytes.byteLength).to.equal(
          PAYLOAD_HEADER_BYTES + 4 * scales + Math.ceil(N * bytesPerValue),
        );
      }
    }
  });

  it("stochastic rounding is unbiased: the mean of many encodings converges to the value", () => {
    const x = Float32Array.from([0.3, -0.71, 0.05, 1]);
    const spec = up({ quantise: "int4", scale: "tensor" });
    const sum = new Float64Array(4);
    const runs = 4000;
    for (let s = 0; s < runs; s++) {
      const c = compressUpload(new Float32Array(4), x, spec, [4], new ErrorFeedback(), s + 1);
      for (let i = 0; i < 4; i++) sum[i]! += c.sent[i]!;
    }
    for (let i = 0; i < 4; i++) expect(sum[i]! / runs).to.be.near(x[i]!, 0.01);
  });

  it("top-k keeps the largest magnitudes and error feedback carries the rest to later rounds", () => {
    expect(Array.from(topKIndices(Float32Array.from([0.1, -5, 3, 0, -3, 2]), 3))).to.deep.equal([
      1, 2, 4,
    ]);
    expect(Array.from(topKIndices(Float32Array.from([1, 1, 1, 1]), 2))).to.deep.equal([0, 1]);
    const spec = up({ topK: 0.05, quantise: "int8" });
    const feedback = new ErrorFeedback();
    const meant = new Float64Array(N);
    const sent = new Float64Array(N);
    for (let round = 1; round <= 6; round++) {
      const delta = vector(round);
      const c = compressUpload(zeros(), delta, spec, TENSORS, feedback, round);
      const decoded = decodeUpload(c.bytes, spec, zeros(), TENSORS);
      expect(decoded.filter((v) => v !== 0).length).to.be.at.most(Math.ceil(0.05 * N));
      for (let i = 0; i < N; i++) {
        meant[i]! += delta[i]!;
        sent[i]! += decoded[i]!;
      }
    }
    // Everything learned was either sent or is still in the residual.
    let gap = 0;
    for (let i = 0; i < N; i++) gap += (meant[i]! - sent[i]!) ** 2;
    expect(Math.sqrt(gap)).to.be.near(feedback.norm(), 1e-4);
  });

  it("downloads round to nearest: the same model encodes to the same bytes", () => {
    const w = vector(9, N, 0.5);
    const spec = DownloadCompression.parse({ quantise: "int8" });
    const a = encodeDownload(w, spec, TENSORS);
    const b = encodeDownload(w, spec, TENSORS);
    expect(Buffer.from(a.bytes).equals(Buffer.from(b.bytes))).to.equal(true);
    const back = decodeDownload(a.bytes, spec, N, TENSORS);
    expect(Array.from(back)).to.deep.equal(Array.from(a.decoded));
    for (let i = 0; i < N; i++)
      expect(Math.abs(back[i]! - w[i]!)).to.be.at.most(0.5 / 127 / 2 + 1e-6);
  });

  describe("rejects malformed payloads with a reason", () => {
    const q8 = up({ quantise: "int8", scale: "chunk", chunkSize: 64 });
    const sparse = up({ quantise: "int8", topK: 0.1 });
    const good = compressUpload(zeros(), vector(3), q8, TENSORS, new ErrorFeedback(), 3).bytes;
    const goodSparse = compressUpload(
      zeros(),
      vector(4),
      sparse,
      TENSORS,
      new ErrorFeedback(),
      4,
    ).bytes;

    it("truncated, padded, foreign or from a future version", () => {
      expect(decodeFails(good.subarray(0, 10), q8)).to.match(/truncated: 10 bytes/);
      expect(decodeFails(good.subarray(0, good.length - 1), q8)).to.match(/truncated: .* values/);
      expect(decodeFails(Uint8Array.from([...good, 0]), q8)).to.match(/1 bytes after the last/);
      const foreign = good.slice();
      foreign[0] = 0x50;
      expect(decodeFails(foreign, q8)).to.match(/no "FLUP" magic/);
      const v2 = good.slice();
      v2[4] = 2;
      expect(decodeFails(v2, q8)).to.match(/version 2 is not spoken here .* version 1/);
      const reserved = good.slice();
      reserved[10] = 1;
      expect(decodeFails(reserved, q8)).to.match(/reserved/);
    });

    it("NaN, infinite or negative scales", () => {
      for (const bad of [NaN, Infinity, -1]) {
        const b = good.slice();
        new DataView(b.buffer).setFloat32(PAYLOAD_HEADER_BYTES + 4, bad, true);
        expect(decodeFails(b, q8)).to.match(new RegExp(`scale 1 is ${bad}`));
      }
    });

    it("wrong k, indices out of range, integers outside the levels", () => {
      const denser = compressUpload(
        zeros(),
        vector(4),
        up({ quantise: "int8", topK: 0.2 }),
        TENSORS,
        new ErrorFeedback(),
        4,
      ).bytes;
      expect(decodeFails(denser, sparse)).to.match(
        /k \(values sent\) is 200, the run asks for 100/,
      );
      // The first gap (the first index) pushed past n.
      const p = readPayload(goodSparse);
      const at = PAYLOAD_HEADER_BYTES + 4 * p.scales.length + 4;
      const b = goodSparse.slice();
      const indexBytes = new DataView(b.buffer).getUint32(at - 4, true);
      expect(indexBytes).to.be.greaterThan(0);
      // Rewrite the last gap byte to a large single-byte gap: the last index leaves the model.
      b[at + indexBytes - 1] = 0x7f;
      expect(decodeFails(b, sparse)).to.match(/index 99 is \d+, out of range for 1000 parameters/);
      const minus128 = good.slice();
      minus128[good.length - 5] = 0x80;
      expect(decodeFails(minus128, q8)).to.match(/-128, outside \[-127, 127\]/);
      const q4 = up({ quantise: "int4", scale: "chunk", chunkSize: 64 });
      const g4 = compressUpload(zeros(), vector(5), q4, TENSORS, new ErrorFeedback(), 5).bytes;
      const nib = g4.slice();
      nib[nib.length - 1] = 0x08;
      expect(decodeFails(nib, q4)).to.match(/int4 value 999 is -8/);
    });

    it("a header cannot make the reader allocate more than it was sent; encodings are canonical", () => {
      // n = m = 2^32 - 1, sparse, no scales, no index bytes: refused before any allocation.
      const header = new Uint8Array(PAYLOAD_HEADER_BYTES + 4);
      header.set([0x46, 0x4c, 0x55, 0x50, 1, 1, 0, 1, 0]);
      const view = new DataView(header.buffer);
      view.setUint32(12, 2 ** 32 - 1, true);
      view.setUint32(16, 2 ** 32 - 1, true);
      expect(() => readPayload(header)).to.throw(PayloadError, /4294967295 indices in 0 bytes/);
      // A gap of 0 written in two bytes (0x80 0x00) is the same index, another hash: refused.
      const p = readPayload(goodSparse);
      const gapsAt = PAYLOAD_HEADER_BYTES + 4 * p.scales.length + 4;
      const long = new Uint8Array(goodSparse.length + 1);
      long.set(goodSparse.subarray(0, gapsAt));
      new DataView(long.buffer).setUint32(
        gapsAt - 4,
        new DataView(goodSparse.buffer).getUint32(gapsAt - 4, true) + 1,
        true,
      );
      long[gapsAt] = goodSparse[gapsAt]! | 0x80;
      long[gapsAt + 1] = 0;
      long.set(goodSparse.subarray(gapsAt + 1), gapsAt + 2);
      expect(decodeFails(long, sparse)).to.match(/index 0: gap not in its shortest encoding/);
      // A group's largest value must sit at ±L, and a zero scale carry only zeros.
      const q = readPayload(good);
      const shrunk = Int8Array.from(q.data as Int8Array, (v) =>
        Math.abs(v) === 127 ? Math.sign(v) * 126 : v,
      );
      expect(decodeFails(writePayload({ ...q, data: shrunk }), q8)).to.match(
        /scale group \d+: its largest value is 126, the encoding maps it to 127/,
      );
      const zeroed = writePayload({ ...q, scales: q.scales.map((v, k) => (k === 0 ? 0 : v)) });
      expect(decodeFails(zeroed, q8)).to.match(/scale group 0: scale 0 with values up to 127/);
    });

    it("a diverged (non-finite) update is not compressed, and leaves the residual as it was", () => {
      const feedback = new ErrorFeedback();
      compressUpload(zeros(), vector(8), sparse, TENSORS, feedback, 8);
      const before = feedback.norm();
      const bad = vector(9);
      bad[17] = NaN;
      expect(() => compressUpload(zeros(), bad, sparse, TENSORS, feedback, 9)).to.throw(
        NonFiniteUpdate,
        /not finite at parameter 17 \(NaN\): training diverged/,
      );
      expect(feedback.norm()).to.equal(before);
    });

    it("a payload that is valid but not what the run asked for", () => {
      expect(decodeFails(good, up({ quantise: "int4", chunkSize: 64 }))).to.match(
        /value coding is int8, the run asks for int4/,
      );
      expect(decodeFails(good, up({ quantise: "int8", chunkSize: 128 }))).to.match(
        /chunk size is 64, the run asks for 128/,
      );
      expect(decodeFails(goodSparse, up({ quantise: "int8" }))).to.match(
        /layout is sparse, the run asks for dense/,
      );
      const model = encodeDownload(
        vector(6),
        DownloadCompression.parse({ quantise: "int8", chunkSize: 64 }),
        TENSORS,
      ).bytes;
      expect(decodeFails(model, q8)).to.match(/content is weights, the run asks for delta/);
      expect(() => decodeUpload(good, q8, new Float32Array(N + 1), TENSORS)).to.throw(
        PayloadError,
        /parameter count is 1000, the run asks for 1001/,
      );
    });
  });

  it("a node agent refuses a wire format it does not speak, and a download it cannot read", () => {
    const task = AgentTask.parse({
      taskId: "task-0000000000000001",
      runId: "run-1",
      chainRunId: `0x${"1".repeat(64)}`,
      round: 1,
      model: "logreg",
      dataset: "synthetic",
      parameterCount: parameterCount("logreg"),
      epochs: 1,
      batchSize: 10,
      learningRate: 0.1,
      seed: 1,
      domain: { chainId: 31337, verifyingContract: `0x${"2".repeat(40)}` },
      deadline: Date.now() + 60_000,
      compression: {
        wireFormat: 1,
        spec: CompressionSpec.parse({ download: { quantise: "int8" } }),
      },
    });
    const n = parameterCount("logreg");
    const t = task;
    expect(AgentCompression.misfit(t)).to.equal(undefined);
    expect(
      AgentCompression.misfit({ ...t, compression: { ...t.compression!, wireFormat: 2 } }),
    ).to.equal(
      "the run's updates use compressed wire format version 2; this agent speaks version 1: upgrade the agent",
    );
    const agent = new AgentCompression();
    const model = encodeDownload(
      vector(7, n, 0.2),
      t.compression!.spec.download,
      tensorSizes("logreg"),
    );
    expect(Array.from(agent.start(t, model.bytes))).to.deep.equal(Array.from(model.decoded));
    const broken = model.bytes.slice(0, 40);
    expect(() => agent.start(t, broken)).to.throw(
      CompressionRefusal,
      /the global model's download is unreadable: truncated/,
    );
  });

  it("a simulated node under secure aggregation with a quantised download hands over the coordinator's model plus its delta", async () => {
    const n = parameterCount("logreg");
    const global = vector(11, n, 0.3);
    const compression = runCompression(
      CompressionSpec.parse({ upload: { quantise: "int8" }, download: { quantise: "int8" } }),
      "logreg",
      true,
    )!;
    const round = roundDownload(compression, global);
    const decoded = decodeDownload(
      round.download!,
      compression.spec.download,
      n,
      compression.tensors,
    );
    // Training, as far as this test needs it: a fixed step from the model the node was handed.
    const step = (w: Float32Array) => w.map((v, i) => v + ((i % 5) - 2) * 1e-3);
    const engine = {
      train: async (t: { weights: Float32Array }) => ({
        weights: step(t.weights),
        numSamples: 10,
        trainLoss: 0.5,
        durationMs: 1,
      }),
    } as unknown as TrainingEngine;
    const node = new SimulatedNode("sim-1", simulatedNodeAccount(1), new Int32Array(10), undefined);
    const s = await node.fit(
      engine,
      { model: "logreg", weights: global, epochs: 1, batchSize: 10, learningRate: 0.1, seed: 1 },
      {
        runId: `0x${"1".repeat(64)}`,
        round: 1,
        domain: { chainId: 31337, verifyingContract: `0x${"2".repeat(40)}` },
        compression: round,
      },
    );
    // No payload (the masking ring quantises), and the delta sits on the full-precision model.
    expect(s.payload).to.equal(undefined);
    const trained = step(decoded);
    for (let i = 0; i < n; i++)
      expect(s.weights[i]!).to.be.near(global[i]! + (trained[i]! - decoded[i]!), 1e-6);
  });
});
