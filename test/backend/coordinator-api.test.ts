import { expect } from "chai";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { keccak256, toBytes } from "viem";
import { loadConfig } from "../../backend/src/config.js";
import { createCoordinator, type Coordinator } from "../../backend/src/coordinator.js";
import { chainNodeId, signRegistration } from "../../backend/src/nodes/node-registration.js";
import { simulatedNodeAccount } from "../../backend/src/nodes/simulated-wallets.js";
import { LedgerClient } from "../../backend/src/chain/ledger-client.js";
import { outboxRepo } from "../../backend/src/store/repos/outbox-repo.js";
import { HARDHAT_ACCOUNT_0_KEY } from "../../backend/src/coordinator.js";
import { startLocalChain, type LocalChain } from "../helpers/local-chain.js";
import { api, listen, type TestServer } from "../helpers/http.js";
import { conformance, openApiConformance } from "../helpers/openapi-conformance.js";
import { until } from "../helpers/until.js";

const notTraining = () => Promise.reject(new Error("this suite starts no training"));

async function coordinatorFor(
  chain: LocalChain,
  env: Record<string, string> = {},
): Promise<Coordinator> {
  const config = loadConfig({
    CHAIN_RPC_URL: chain.rpcUrl,
    DEPLOYMENT_FILE: chain.deploymentFile,
    DATA_DIR: mkdtempSync(path.join(tmpdir(), "fl-coord-")),
    ...env,
  });
  return createCoordinator(config, {
    engineFactory: notTraining,
    engineInfo: async () => ({ backend: "none" }),
    outbox: { baseDelayMs: 50, maxDelayMs: 200, idleMs: 50 },
    apiMiddleware: [openApiConformance],
  });
}

describe("coordinator API on a real chain", function () {
  this.timeout(120_000);
  let chain: LocalChain;
  let coord: Coordinator;
  let server: TestServer;

  before(async () => {
    chain = await startLocalChain();
    coord = await coordinatorFor(chain);
    await coord.start();
    server = await listen(coord.app);
  });

  after(async () => {
    await server?.close();
    await coord?.close();
    await chain?.stop();
  });

  it("GET /api/health reports the chain, the contracts and the store", async () => {
    const res = await api<{
      status: string;
      chain: { chainId: number; contractsDeployed: boolean };
      store: { ok: boolean; schemaVersion: number };
    }>(server.url, "GET", "/api/health");
    expect(res.status).to.equal(200);
    expect(res.body.status).to.equal("ok");
    expect(res.body.chain.chainId).to.equal(31337);
    expect(res.body.chain.contractsDeployed).to.equal(true);
    expect(res.body.store.ok).to.equal(true);
    expect(res.body.store.schemaVersion).to.be.greaterThan(0);
  });

  it("answers bad input with clear 4xx JSON errors", async () => {
    const cases: [string, string, unknown, number, RegExp][] = [
      ["POST", "/api/runs", { dataset: "imagenet" }, 400, /dataset/],
      ["POST", "/api/runs", "{not json", 400, /not valid JSON/],
      [
        "POST",
        "/api/runs",
        {
          dataset: "synthetic",
          model: "2nn",
          partition: { kind: "iid" },
          numNodes: 0,
          fraction: 1,
          rounds: 1,
          localEpochs: 1,
          batchSize: 10,
          learningRate: 0.1,
          strategy: { name: "fedavg" },
        },
        400,
        /numNodes/,
      ],
      [
        "POST",
        "/api/runs",
        {
          dataset: "synthetic",
          model: "2nn",
          partition: { kind: "iid" },
          numNodes: 3,
          fraction: 1,
          rounds: 1,
          localEpochs: 1,
          batchSize: 10,
          learningRate: 0.1,
          strategy: { name: "krum", f: 1 },
        },
        400,
        /Krum with f = 1 needs at least 5/,
      ],
      [
        "POST",
        "/api/runs",
        {
          dataset: "synthetic",
          model: "2nn",
          partition: { kind: "iid" },
          numNodes: 3,
          fraction: 1,
          rounds: 1,
          localEpochs: 1,
          batchSize: 10,
          learningRate: 0.1,
          strategy: { name: "fedavg" },
          extra: 1,
        },
        400,
        /extra|Unrecognized/,
      ],
      ["GET", "/api/runs/not-a-run", undefined, 400, /run ids look like/],
      ["GET", "/api/runs/run-0000000000", undefined, 404, /No run/],
      ["POST", "/api/runs/run-0000000000/explode", undefined, 404, /Unknown run action/],
      ["GET", "/api/rewards/0x123", undefined, 400, /address/],
      ["GET", "/api/contributions?limit=0", undefined, 400, /limit/],
      ["GET", "/api/contributions/totals?run=", undefined, 400, /run/],
      ["GET", "/api/contributions/totals?run=run-0000000000", undefined, 404, /No run/],
      ["GET", "/api/nowhere", undefined, 404, /No route/],
      [
        "POST",
        "/api/nodes",
        { nodeId: "bad id!", wallet: "0x0", deadline: 1, signature: "0x" },
        400,
        /nodeId/,
      ],
    ];
    for (const [method, p, body, status, message] of cases) {
      const res = await api<{ error: { code: string; message: string } }>(
        server.url,
        method,
        p,
        body,
      );
      expect(res.status, `${method} ${p}`).to.equal(status);
      expect(res.body.error.message, `${method} ${p}`).to.match(message);
    }
  });

  it("registers a node from its wallet's EIP-712 signature, on chain through the outbox", async () => {
    const account = simulatedNodeAccount(7);
    const domain = {
      chainId: 31337,
      verifyingContract: chain.deployment.contracts.ContributionLedger.address as `0x${string}`,
    };
    const deadline = BigInt(Math.floor(Date.now() / 1000) + 3600);
    const signature = await signRegistration(account, domain, "remote-7", deadline);
    const body = {
      nodeId: "remote-7",
      wallet: account.address,
      deadline: Number(deadline),
      signature,
    };

    const forged = await api<{ error: { code: string } }>(server.url, "POST", "/api/nodes", {
      ...body,
      wallet: simulatedNodeAccount(8).address,
    });
    expect(forged.status).to.equal(400);
    expect(forged.body.error.code).to.equal("bad_signature");

    const res = await api<{ id: string; wallet: string }>(server.url, "POST", "/api/nodes", body);
    expect(res.status).to.equal(201);
    expect(res.body.wallet).to.equal(account.address);
    expect((await api(server.url, "POST", "/api/nodes", body)).status).to.equal(200);

    const other = simulatedNodeAccount(9);
    const taken = await api<{ error: { code: string } }>(server.url, "POST", "/api/nodes", {
      nodeId: "remote-7",
      wallet: other.address,
      deadline: Number(deadline),
      signature: await signRegistration(other, domain, "remote-7", deadline),
    });
    expect(taken.status).to.equal(409);

    const ledger = new LedgerClient({
      rpcUrl: chain.rpcUrl,
      deployment: chain.deployment,
      recorderKey: HARDHAT_ACCOUNT_0_KEY,
    });
    await until(
      "registration on chain",
      async () => (await ledger.nodeWallet(chainNodeId("remote-7"))) === account.address,
    );
    const node = await api<{ registrationTx: string }>(server.url, "GET", "/api/nodes/remote-7");
    expect(node.body.registrationTx).to.match(/^0x[0-9a-f]{64}$/);
  });

  it("records a round once, even when the outbox item is sent again", async () => {
    const ledger = new LedgerClient({
      rpcUrl: chain.rpcUrl,
      deployment: chain.deployment,
      recorderKey: HARDHAT_ACCOUNT_0_KEY,
    });
    const runId = "run-00000000aa";
    const chainRunId = keccak256(toBytes(runId));
    const wallet = simulatedNodeAccount(7).address;
    await outboxRepo.enqueue(coord.db, {
      id: `register-run:${runId}`,
      kind: "register-run",
      runId,
      payload: {
        chainRunId,
        policyId: keccak256(toBytes("fedledger.reward.loss-improvement.v1")),
        policyParams: "0x",
      },
    });
    const payload = {
      chainRunId,
      round: 1,
      modelHash: keccak256(toBytes("model")),
      contributions: [
        {
          node: wallet,
          samples: 10,
          lossBefore: "2000000000000000000",
          lossAfter: "1000000000000000000",
          updateHash: keccak256(toBytes("u")),
          reward: "5000000000000000000",
        },
      ],
    };
    await outboxRepo.enqueue(coord.db, {
      id: `record-round:${runId}:1`,
      kind: "record-round",
      runId,
      round: 1,
      payload,
    });
    await outboxRepo.enqueue(coord.db, {
      id: `record-round:${runId}:1`,
      kind: "record-round",
      runId,
      round: 1,
      payload,
    });
    coord.outbox.poke();
    await until("round recorded", async () => ledger.isRecorded(chainRunId, 1));
    const items = await outboxRepo.forRun(coord.db, runId);
    expect(items.map((i) => i.status)).to.deep.equal(["confirmed", "confirmed"]);
    const tx = items[1]!.txHash;

    // A crash after sending leaves the item pending: sending again finds the round on chain.
    await coord.outbox.process({ ...items[1]!, status: "pending" });
    const again = await outboxRepo.forRun(coord.db, runId);
    expect(again[1]!.txHash).to.equal(tx);
    const rewards = await api<{ recordedWei: string; claimableWei: string }>(
      server.url,
      "GET",
      `/api/rewards/${wallet}`,
    );
    expect(rewards.body.recordedWei).to.equal("5000000000000000000");
    expect(rewards.body.claimableWei).to.equal("5000000000000000000");
  });

  it("needs the admin token for mutating calls when one is configured", async () => {
    const guarded = await coordinatorFor(chain, { ADMIN_TOKEN: "correct-horse-battery-staple" });
    const srv = await listen(guarded.app);
    try {
      const denied = await api<{ error: { code: string } }>(srv.url, "POST", "/api/runs", {});
      expect(denied.status).to.equal(401);
      expect(
        (
          await api(
            srv.url,
            "POST",
            "/api/runs",
            {},
            { authorization: "Bearer wrong-token-wrong-token" },
          )
        ).status,
      ).to.equal(401);
      expect(
        (
          await api(
            srv.url,
            "POST",
            "/api/runs",
            {},
            { authorization: "Bearer correct-horse-battery-staple" },
          )
        ).status,
      ).to.equal(400);
      expect((await api(srv.url, "GET", "/api/runs")).status).to.equal(200);
    } finally {
      await srv.close();
      await guarded.close();
    }
  });

  it("serves the OpenAPI document and its interactive page", async () => {
    const doc = await api<{ openapi: string; paths: Record<string, unknown> }>(
      server.url,
      "GET",
      "/api/openapi.json",
    );
    expect(doc.body.openapi).to.equal("3.1.0");
    expect(Object.keys(doc.body.paths)).to.include.members([
      "/api/runs",
      "/api/runs/{id}/events",
      "/api/rewards/{address}",
    ]);
    const page = await fetch(`${server.url}/api/docs`);
    expect(await page.text()).to.contain("SwaggerUIBundle");
    expect((await fetch(`${server.url}/api/docs/assets/swagger-ui-bundle.js`)).status).to.equal(
      200,
    );
  });

  it("answers every documented route as its OpenAPI document says", async () => {
    // A run to read: created with the real schema (this suite has no engine, so it fails fast,
    // which is a state the API must describe too).
    const created = await api<{ id: string }>(server.url, "POST", "/api/runs", {
      dataset: "synthetic",
      model: "logreg",
      partition: { kind: "iid" },
      numNodes: 2,
      fraction: 1,
      rounds: 1,
      localEpochs: 1,
      batchSize: 10,
      learningRate: 0.1,
      strategy: { name: "fedavg" },
    });
    expect(created.status).to.equal(201);
    const id = created.body.id;
    const wallet = simulatedNodeAccount(7).address;
    for (const p of [
      "/api/health",
      "/api/catalogues",
      "/api/runs",
      `/api/runs/${id}`,
      `/api/runs/${id}/rounds`,
      "/api/nodes",
      "/api/nodes/remote-7",
      "/api/nodes/nobody",
      "/api/contributions",
      `/api/contributions/totals?run=${id}`,
      `/api/rewards/${wallet}`,
      "/api/agent/domain",
    ]) {
      const res = await api(server.url, "GET", p);
      expect(res.status, p).to.be.lessThan(500);
    }
    await until("the engine-less run to fail", async () => {
      const r = await api<{ status: string }>(server.url, "GET", `/api/runs/${id}`);
      return r.body.status === "failed";
    });
    expect((await api(server.url, "POST", `/api/runs/${id}/stop`)).status).to.equal(409);
    expect(conformance.violations).to.deep.equal([]);
    expect([...conformance.seen]).to.include.members([
      "GET /api/health 200",
      "GET /api/catalogues 200",
      "POST /api/runs 201",
      "POST /api/runs 400",
      "GET /api/runs/{id} 404",
      "POST /api/runs/{id}/stop 409",
      "GET /api/rewards/{address} 200",
    ]);
  });
});
