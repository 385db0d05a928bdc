// The coordinator's side of a remote SecAgg round, in process: which agent messages it refuses,
// how it binds a masked input to the node's signed commitment, and that every stage closes at its
// deadline whatever the event loop's clock says.
import { expect } from "chai";
import { privateKeyToAccount } from "viem/accounts";
import "../helpers/chai-near.js";
import { hashMaskedInput, secureSessionId } from "../../backend/src/nodes/agent-protocol.js";
import {
  RemoteSecAggSession,
  SecAggCallRefused,
} from "../../backend/src/nodes/remote-secagg-session.js";
import { signAdvertisedKeys } from "../../backend/src/nodes/secagg-key-signatures.js";
import { signUpdate } from "../../backend/src/nodes/update-signing.js";
import { secureSessionConfig } from "../../backend/src/aggregation/secure-mean.js";
import {
  KeyRosterMessageSchema,
  SecAggClient,
  ShareDeliveryMessageSchema,
  UnmaskRequestMessageSchema,
} from "../../backend/src/secagg/index.js";
import { HARDHAT_DEV_KEYS } from "../helpers/processes.js";

describe("remote SecAgg session (coordinator side)", function () {
  this.timeout(30_000);
  const ids = ["agent-a", "agent-b", "agent-c"];
  const keys = [HARDHAT_DEV_KEYS[5]!, HARDHAT_DEV_KEYS[6]!, HARDHAT_DEV_KEYS[7]!];
  const domain = {
    chainId: 31337,
    verifyingContract: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
  } as const;

  it("closes every stage at its deadline, even when the timer fires before Date.now() reaches it", async () => {
    // Node's timers run on a monotonic clock, Date.now() on the wall clock: a timer set for
    // `deadline - Date.now()` ms can fire up to a millisecond before Date.now() reaches the
    // deadline. A session that trusted Date.now() there would wait forever for a dead agent.
    const runId = `0x${"cd".repeat(32)}` as const;
    const sessions = Array.from({ length: 120 }, (_, round) => {
      const config = secureSessionConfig(secureSessionId(runId, round + 1), 3, 8, {
        clipRange: 1,
      });
      return new RemoteSecAggSession({
        config,
        participants: ids.map((id, i) => ({ id, wallet: privateKeyToAccount(keys[i]!).address })),
        expect: { runId, round: round + 1, domain },
      });
    });
    const started = Date.now();
    // No agent advertises keys: each stage closes at its deadline and the round cannot complete.
    const outcomes = await Promise.all(
      sessions.map(async (session, i) => {
        await new Promise((r) => setTimeout(r, i % 7));
        return Promise.race([
          session.drive(Date.now() + 3 + (i % 5), 3).then(
            () => "completed",
            () => "failed",
          ),
          new Promise<string>((r) => setTimeout(() => r("still waiting after 3 s"), 3_000)),
        ]);
      }),
    );
    expect(outcomes.filter((o) => o !== "failed")).to.deep.equal([]);
    expect(Date.now() - started).to.be.below(2_000);
    // A failed session refuses every later call of an agent.
    expect(
      await sessions[0]!.poll("agent-a", "roster", 0).then(
        () => "answered",
        (e: unknown) => (e as SecAggCallRefused).code,
      ),
    ).to.equal("secagg_failed");
  });

  it("the coordinator refuses a masked input it cannot bind to the node's signature, and survives a node that drops while unmasking", async () => {
    const accounts = keys.map((k) => privateKeyToAccount(k));
    const runId = `0x${"ab".repeat(32)}` as const;
    const config = secureSessionConfig(secureSessionId(runId, 4), 3, 8, { clipRange: 1 });
    const session = new RemoteSecAggSession({
      config,
      participants: ids.map((id, i) => ({ id, wallet: accounts[i]!.address })),
      expect: { runId, round: 4, domain },
    });
    const driven = session.drive(Date.now() + 5_000, 1_500);
    const clients = ids.map((id) => new SecAggClient(id, config));
    const refusal = (p: Promise<unknown>) =>
      p.then(
        () => "accepted",
        (e: unknown) => (e instanceof SecAggCallRefused ? e.code : String(e)),
      );
    // A node cannot speak for another.
    expect(
      await refusal(session.receive("agent-a", "advertise-keys", clients[1]!.advertiseKeys())),
    ).to.equal("secagg_rejected");
    // A body that is not the stage's message is a bad request (HTTP 400): it changes nothing and
    // does not count against the node, which may send a correct one.
    expect(await refusal(session.receive("agent-b", "advertise-keys", { publicKey: 42 }))).to.equal(
      "secagg_malformed",
    );
    expect(session.refused.has("agent-b")).to.equal(false);
    // Keys must carry the node wallet's signature, which the other nodes check against the chain.
    expect(
      await refusal(session.receive("agent-b", "advertise-keys", clients[1]!.advertiseKeys())),
    ).to.equal("secagg_rejected");
    expect(session.refused.get("agent-b")).to.match(/not signed by agent-b's registered wallet/);
    expect(
      await refusal(
        session.receive(
          "agent-b",
          "advertise-keys",
          await signAdvertisedKeys(accounts[2]!, clients[1]!.advertiseKeys()),
        ),
      ),
    ).to.equal("secagg_rejected");
    for (let i = 0; i < 3; i++) {
      await session.receive(
        ids[i]!,
        "advertise-keys",
        await signAdvertisedKeys(accounts[i]!, clients[i]!.advertiseKeys()),
      );
    }
    const roster = KeyRosterMessageSchema.parse(await session.poll("agent-a", "roster", 1_000));
    for (let i = 0; i < 3; i++) {
      await session.receive(ids[i]!, "share-keys", clients[i]!.shareKeys(roster));
    }
    const inputs = [0.25, -0.5, 0.125].map((v) => new Float32Array(8).fill(v));
    const masked = await Promise.all(
      ids.map(async (id, i) =>
        clients[i]!.maskInput(
          ShareDeliveryMessageSchema.parse(await session.poll(id, "delivery", 1_000)),
          inputs[i]!,
        ),
      ),
    );
    const commit = async (i: number, signer = accounts[i]!, hashOf = masked[i]!.maskedInput) => {
      const signed = await signUpdate(signer, domain, {
        runId,
        round: 4,
        updateHash: hashMaskedInput(hashOf),
        samples: 100 * (i + 1),
      });
      return { ...signed, trainLoss: 0.5 };
    };
    // A masked input without its signed commitment is malformed.
    expect(
      await refusal(session.receive("agent-b", "masked-input", { message: masked[1] })),
    ).to.equal("secagg_malformed");
    // Signed by another wallet, or over other bytes: refused before the input is accepted.
    expect(
      await refusal(
        session.receive("agent-a", "masked-input", {
          message: masked[0],
          commitment: await commit(0, accounts[1]!),
        }),
      ),
    ).to.equal("secagg_rejected");
    expect(session.refused.get("agent-a")).to.match(/bad signature/);
    expect(
      await refusal(
        session.receive("agent-a", "masked-input", {
          message: masked[0],
          commitment: await commit(0, accounts[0]!, masked[1]!.maskedInput),
        }),
      ),
    ).to.equal("secagg_rejected");
    expect(session.refused.get("agent-a")).to.match(/does not match the masked input/);
    for (let i = 0; i < 3; i++) {
      const sub = await session.receive(ids[i]!, "masked-input", {
        message: masked[i],
        commitment: await commit(i),
      });
      expect((sub as { signed: { samples: number } }).signed.samples).to.equal(100 * (i + 1));
    }
    // agent-c sent its masked input, then dies: a and b alone unmask (threshold 2 of 3).
    const request = UnmaskRequestMessageSchema.parse(
      await session.poll("agent-a", "unmask-request", 1_000),
    );
    for (let i = 0; i < 2; i++) {
      await session.receive(ids[i]!, "unmasking", clients[i]!.unmask(request));
    }
    const result = await driven;
    expect(result.survivors).to.deep.equal(ids);
    for (const v of result.sum) expect(v).to.be.near(0.25 - 0.5 + 0.125, 1e-6);
  });
});
