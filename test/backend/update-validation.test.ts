import { expect } from "chai";
import { keccak256, toBytes } from "viem";
import { validateUpdate } from "../../backend/src/nodes/update-validation.js";
import { simulatedNodeAccount } from "../../backend/src/nodes/simulated-wallets.js";
import { hashWeights, signUpdate } from "../../backend/src/nodes/update-signing.js";

describe("update validation", () => {
  const domain = {
    chainId: 31337,
    verifyingContract: "0x5FbDB2315678afecb367f032d93F642f64180aa3" as const,
  };
  const runId = keccak256(toBytes("run-0000000001"));
  const node = simulatedNodeAccount(1);
  const stranger = simulatedNodeAccount(2);
  const expectCtx = { runId, round: 3, parameterCount: 4, domain };

  async function signed(weights: Float32Array, by = node, round = 3) {
    return signUpdate(by, domain, { runId, round, updateHash: hashWeights(weights), samples: 10 });
  }

  it("accepts a well-formed update signed by the node's wallet", async () => {
    const w = Float32Array.from([1, 2, 3, 4]);
    const v = await validateUpdate(
      { nodeId: "sim-1", wallet: node.address, weights: w, signed: await signed(w) },
      expectCtx,
    );
    expect(v).to.deep.equal({ accepted: true });
  });

  it("names the model's tensors: the shapes a wrong-length update should have had, the tensor of a NaN", async () => {
    const layers = [
      { name: "dense.kernel", shape: [1, 3] },
      { name: "dense.bias", shape: [1] },
    ];
    const short = Float32Array.from([1, 2, 3]);
    const v1 = await validateUpdate(
      { nodeId: "sim-1", wallet: node.address, weights: short, signed: await signed(short) },
      { ...expectCtx, layers },
    );
    expect(v1).to.deep.equal({
      accepted: false,
      reason: "wrong shape: 3 parameters, expected 4 (dense.kernel [1×3], dense.bias [1])",
    });
    const nan = Float32Array.from([1, 2, 3, Number.NaN]);
    const v2 = await validateUpdate(
      { nodeId: "sim-1", wallet: node.address, weights: nan, signed: await signed(nan) },
      { ...expectCtx, layers },
    );
    expect(v2).to.deep.equal({
      accepted: false,
      reason: "non-finite value (NaN) at dense.bias [1] value 0",
    });
  });

  const cases: [string, () => Promise<Parameters<typeof validateUpdate>[0]>, RegExp][] = [
    [
      "wrong shape",
      async () => {
        const w = Float32Array.from([1, 2, 3]);
        return { nodeId: "sim-1", wallet: node.address, weights: w, signed: await signed(w) };
      },
      /wrong shape/,
    ],
    [
      "NaN",
      async () => {
        const w = Float32Array.from([1, Number.NaN, 3, 4]);
        return { nodeId: "sim-1", wallet: node.address, weights: w, signed: await signed(w) };
      },
      /non-finite/,
    ],
    [
      "Infinity",
      async () => {
        const w = Float32Array.from([1, 2, Number.POSITIVE_INFINITY, 4]);
        return { nodeId: "sim-1", wallet: node.address, weights: w, signed: await signed(w) };
      },
      /non-finite/,
    ],
    [
      "signed by another wallet",
      async () => {
        const w = Float32Array.from([1, 2, 3, 4]);
        return {
          nodeId: "sim-1",
          wallet: node.address,
          weights: w,
          signed: await signed(w, stranger),
        };
      },
      /bad signature/,
    ],
    [
      "bytes changed after signing",
      async () => {
        const w = Float32Array.from([1, 2, 3, 4]);
        const s = await signed(w);
        return {
          nodeId: "sim-1",
          wallet: node.address,
          weights: Float32Array.from([1, 2, 3, 5]),
          signed: s,
        };
      },
      /hash does not match/,
    ],
    [
      "replayed from another round",
      async () => {
        const w = Float32Array.from([1, 2, 3, 4]);
        return {
          nodeId: "sim-1",
          wallet: node.address,
          weights: w,
          signed: await signed(w, node, 2),
        };
      },
      /another run or round/,
    ],
  ];
  for (const [name, make, reason] of cases) {
    it(`rejects an update with ${name}`, async () => {
      const v = await validateUpdate(await make(), expectCtx);
      expect(v.accepted).to.equal(false);
      expect((v as { reason: string }).reason).to.match(reason);
    });
  }
});

describe("keccak256 of large buffers (WebAssembly)", () => {
  it("gives viem's digests, for empty, small and odd-sized inputs", async () => {
    const { keccak256 } = await import("viem");
    const { keccak256Bytes } = await import("../../backend/src/nodes/keccak.js");
    for (const n of [0, 1, 135, 136, 137, 100_003]) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 0xff);
      expect(keccak256Bytes(bytes)).to.equal(keccak256(bytes));
    }
  });
});

describe("keccak256 off the event loop (a worker thread for model-sized inputs)", () => {
  it("gives the same digests as on the main thread, for views into larger buffers too, in parallel", async () => {
    const { keccak256Bytes, keccak256BytesOffThread } =
      await import("../../backend/src/nodes/keccak.js");
    const big = Uint8Array.from({ length: 3_000_001 }, (_, i) => (i * 131 + 17) & 0xff);
    const inputs = [big, big.subarray(5, 1_000_005), big.subarray(0, 10), new Uint8Array(0)];
    const off = await Promise.all(inputs.map((b) => keccak256BytesOffThread(b)));
    expect(off).to.deep.equal(inputs.map((b) => keccak256Bytes(b)));
    expect(big[5]).to.equal((5 * 131 + 17) & 0xff); // the input was copied, not moved away
  });

  it("keeps the event loop free while it hashes a FedAvg CNN-sized update", async () => {
    const { keccak256BytesOffThread } = await import("../../backend/src/nodes/keccak.js");
    const update = new Uint8Array(1_663_370 * 4).fill(7);
    await keccak256BytesOffThread(update); // the worker is up
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    await Promise.all(Array.from({ length: 8 }, () => keccak256BytesOffThread(update)));
    clearInterval(timer);
    expect(ticks).to.be.greaterThan(3);
  });
});

describe("simulated wallets", () => {
  it("derive Hardhat's dev accounts exactly as viem's mnemonicToAccount does", async () => {
    const { mnemonicToAccount } = await import("viem/accounts");
    const { SimulatedWallets, HARDHAT_TEST_MNEMONIC } =
      await import("../../backend/src/nodes/simulated-wallets.js");
    const other = "legal winner thank year wave sausage worth useful legal winner thank yellow";
    for (const m of [HARDHAT_TEST_MNEMONIC, other]) {
      const wallets = new SimulatedWallets(m);
      for (const i of [0, 1, 19, 20, 137]) {
        expect(wallets.account(i).address).to.equal(
          mnemonicToAccount(m, { addressIndex: i }).address,
        );
      }
    }
    expect(new SimulatedWallets().account(1).address).to.equal(
      "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    );
  });
});
