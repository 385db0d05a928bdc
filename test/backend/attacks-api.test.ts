// Attacks on the coordinator's HTTP surface and on rewards through remote agents (issue 12), each
// performed for real: a stranger's unauthenticated bodies, DNS rebinding and cross-site requests,
// replayed and altered agent requests, stream floods, a node lying about its sample count, and a
// coordinator asking a node for less privacy than its operator allows.
import { expect } from "chai";
import { request } from "node:http";
import { privateKeyToAccount, type LocalAccount } from "viem/accounts";
import { CoordinatorClient } from "../../backend/src/agent/coordinator-client.js";
import { parseAgentData } from "../../backend/src/agent/agent-data.js";
import { NodeAgent } from "../../backend/src/agent/node-agent.js";
import { loadConfig } from "../../backend/src/config.js";
import { createCoordinator, type Coordinator } from "../../backend/src/coordinator.js";
import type { NodeSummary, RoundRecord, RunSummary } from "../../backend/src/domain/index.js";
import {
  AGENT_HEADERS,
  AgentTask,
  bytesToWeights,
  encodeUpdateHeader,
  signAgentRequest,
  weightsToBytes,
} from "../../backend/src/nodes/agent-protocol.js";
import { signRegistration } from "../../backend/src/nodes/node-registration.js";
import { simulatedNodeAccount } from "../../backend/src/nodes/simulated-wallets.js";
import { signUpdate } from "../../backend/src/nodes/update-signing.js";
import { AgentCompression } from "../../backend/src/agent/agent-compression.js";
import { readPayload, writePayload } from "../../backend/src/compression/payload-format.js";
import { tensorSizes } from "../../backend/src/compression/run-compression.js";
import { ErrorFeedback, compressUpload } from "../../backend/src/compression/update-compression.js";
import { keccak256 } from "viem";
import { startCoordinatorStack } from "../helpers/coordinator-stack.js";
import { api, listen, type TestServer } from "../helpers/http.js";
import type { LocalChain } from "../helpers/local-chain.js";
import { openApiConformance } from "../helpers/openapi-conformance.js";
import { HARDHAT_DEV_KEYS } from "../helpers/processes.js";
import { until } from "../helpers/until.js";
import { tempDir } from "../helpers/temp-dir.js";

const TOKEN = "attack-test-admin-token-0123456789";

/** A hand-driven agent: registers `nodeId` with its wallet and announces `samples` of class 0. */
async function connectAgent(
  url: string,
  account: LocalAccount,
  nodeId: string,
  data: { slice: string; samples: number },
): Promise<CoordinatorClient> {
  const client = new CoordinatorClient(url, account, nodeId);
  const domain = (await (await fetch(`${url}/api/agent/domain`)).json()) as {
    chainId: number;
    verifyingContract: `0x${string}`;
  };
  const deadline = Math.floor(Date.now() / 1000) + 3600;
  await client.call("POST", "/api/nodes", {
    body: {
      nodeId,
      wallet: account.address,
      deadline,
      signature: await signRegistration(account, domain, nodeId, BigInt(deadline)),
    },
  });
  const histogram = [data.samples, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  await client.call("POST", "/api/agent/hello", {
    signed: true,
    body: { data: data.slice, samples: data.samples, histogram, backend: "none" },
  });
  return client;
}

/** A node agent that follows the protocol but lies: it announces and claims what it likes. */
async function lyingAgent(
  url: string,
  account: LocalAccount,
  nodeId: string,
  lie: { announce: number; claim: number },
  signal: AbortSignal,
): Promise<void> {
  const client = await connectAgent(url, account, nodeId, {
    slice: "synthetic:0-300",
    samples: lie.announce,
  });
  while (!signal.aborted) {
    const res = await client
      .call("GET", "/api/agent/task?waitMs=1000", { signed: true })
      .catch(() => undefined);
    if (!res || res.status === 204) continue;
    const task = AgentTask.parse(await res.json());
    const weights = bytesToWeights(
      new Uint8Array(
        await (
          await client.call("GET", `/api/agent/tasks/${task.taskId}/weights`, { signed: true })
        ).arrayBuffer(),
      ),
    );
    // A free rider: sends the global model back, claiming an enormous dataset.
    await sendUpdate(client, account, task, weightsToBytes(weights), lie.claim).catch(
      () => undefined,
    );
  }
}

/** A run's first round, once it is no longer training. */
async function firstRound(url: string, runId: string): Promise<RoundRecord> {
  const rounds = await until("the round", async () => {
    const r = await api<RoundRecord[]>(url, "GET", `/api/runs/${runId}/rounds`);
    return r.body.length > 0 && r.body[0]!.status !== "training" && r.body;
  });
  return rounds[0]!;
}

/** Signs (EIP-712, the hash of `bytes`) and sends an update for `task` as its node. */
async function sendUpdate(
  client: CoordinatorClient,
  account: LocalAccount,
  task: AgentTask,
  bytes: Uint8Array,
  samples: number,
): Promise<Response> {
  const signed = await signUpdate(
    account,
    {
      chainId: task.domain.chainId,
      verifyingContract: task.domain.verifyingContract as `0x${string}`,
    },
    {
      runId: task.chainRunId as `0x${string}`,
      round: task.round,
      updateHash: keccak256(bytes),
      samples,
    },
  );
  return client.call("POST", `/api/agent/tasks/${task.taskId}/update`, {
    raw: bytes,
    signed: true,
    headers: { [AGENT_HEADERS.update]: encodeUpdateHeader({ ...signed, trainLoss: 0.01 }) },
  });
}

/** How each lying node breaks its compressed payload, and the reason it must be given. */
const CORRUPTIONS: { name: string; reason: RegExp }[] = [
  { name: "truncated", reason: /truncated: .* values needs bytes/ },
  { name: "wrong k", reason: /k \(values sent\) is \d+, the run asks for \d+/ },
  { name: "NaN scale", reason: /scale 0 is NaN: scales must be finite/ },
  { name: "index out of range", reason: /index \d+ is \d+, out of range for \d+ parameters/ },
  { name: "version 2", reason: /wire format version 2 is not spoken here/ },
];

/** The payload lying node `liar` sends: a real one (signed below), then broken its way. */
function corruptPayload(liar: number, task: AgentTask, start: Float32Array): Uint8Array {
  const spec = task.compression!.spec;
  const tensors = tensorSizes(task.model);
  const trained = start.map((v, i) => v + ((i % 7) - 3) * 1e-3);
  const good = compressUpload(start, trained, spec.upload, tensors, new ErrorFeedback(), liar + 1);
  const p = readPayload(good.bytes);
  switch (CORRUPTIONS[liar]!.name) {
    case "truncated":
      return good.bytes.subarray(0, good.bytes.length - 3);
    case "wrong k":
      return writePayload({ ...p, indices: p.indices!.subarray(1), data: p.data.subarray(1) });
    case "NaN scale":
      return writePayload({ ...p, scales: p.scales.map((v, i) => (i === 0 ? NaN : v)) });
    case "index out of range": {
      const indices = Uint32Array.from(p.indices!);
      indices[indices.length - 1] = p.length + 5;
      return writePayload({ ...p, indices });
    }
    default: {
      const v2 = good.bytes.slice();
      v2[4] = 2;
      return v2;
    }
  }
}

type Answer = { status: number; code: string; message: string };

/** Lying node `liar`: takes its compressed task and answers with a broken, validly signed payload. */
async function compressedLiar(
  url: string,
  liar: number,
  answers: Map<number, Answer>,
  signal: AbortSignal,
): Promise<void> {
  const account = simulatedNodeAccount(20 + liar);
  const client = await connectAgent(url, account, `liar-${liar}`, {
    slice: "synthetic:300-600",
    samples: 300,
  });
  while (!signal.aborted) {
    const res = await client
      .call("GET", "/api/agent/task?waitMs=1000", { signed: true })
      .catch(() => undefined);
    if (!res || res.status === 204) continue;
    const task = AgentTask.parse(await res.json());
    const download = new Uint8Array(
      await (
        await client.call("GET", `/api/agent/tasks/${task.taskId}/weights`, { signed: true })
      ).arrayBuffer(),
    );
    const bytes = corruptPayload(liar, task, new AgentCompression().start(task, download));
    try {
      await sendUpdate(client, account, task, bytes, 300);
      answers.set(liar, { status: 202, code: "", message: "" });
    } catch (err) {
      const e = err as { status?: number; code?: string; message: string };
      answers.set(liar, { status: e.status ?? 0, code: e.code ?? "", message: e.message });
    }
  }
}

describe("attacks on the API and through remote agents (real chain)", function () {
  this.timeout(300_000);
  let stack: Awaited<ReturnType<typeof startCoordinatorStack>>;
  let chain: LocalChain;
  let guarded: { coord: Coordinator; server: TestServer };

  before(async () => {
    stack = await startCoordinatorStack({ dataDirPrefix: "fl-attacks-api-", workers: 1 });
    chain = stack.chain;
    const coord = await createCoordinator(
      loadConfig({
        CHAIN_RPC_URL: chain.rpcUrl,
        DEPLOYMENT_FILE: chain.deploymentFile,
        DATA_DIR: tempDir("fl-attacks-token-"),
        ADMIN_TOKEN: TOKEN,
      }),
      {
        engineFactory: () => Promise.reject(new Error("no engine")),
        engineInfo: async () => ({}),
        apiMiddleware: [openApiConformance],
      },
    );
    guarded = { coord, server: await listen(coord.app) };
  });

  after(async () => {
    await guarded?.server.close();
    await guarded?.coord.close();
    await stack?.server.close();
    await stack?.coord.close();
    await stack?.chain.stop();
  });

  it("checks the admin token before reading any body, and caps bodies at 1 MB", async () => {
    const url = guarded.server.url;
    // Before: a stranger's malformed or huge body was parsed first (400/413, up to 64 MB read).
    const garbage = await api(url, "POST", "/api/runs", "{not json");
    expect(garbage.status).to.equal(401);
    const huge = await fetch(`${url}/api/runs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ pad: "x".repeat(5_000_000) }),
    });
    expect(huge.status).to.equal(401);
    const tooBig = await fetch(`${url}/api/runs`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ pad: "x".repeat(2_000_000) }),
    });
    expect(tooBig.status).to.equal(413);
  });

  it("without a token, answers only loopback hosts and pages (DNS rebinding, cross-site)", async () => {
    const url = stack.server.url;
    // fetch() will not send another Host header; a DNS-rebound page's request does.
    const rebound = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const u = new URL(`${url}/api/runs`);
      const req = request(
        {
          host: u.hostname,
          port: u.port,
          path: u.pathname,
          headers: { host: "evil.example:8000" },
        },
        (res) => {
          let body = "";
          res.on("data", (c: Buffer) => (body += c.toString()));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on("error", reject);
      req.end();
    });
    expect(rebound.status).to.equal(403);
    expect(rebound.body).to.contain("host_not_allowed");
    const crossSite = await api<{ error: { code: string } }>(
      url,
      "POST",
      "/api/runs",
      {},
      {
        origin: "http://evil.example",
      },
    );
    expect(crossSite.status).to.equal(403);
    expect(crossSite.body.error.code).to.equal("origin_not_allowed");
    const dashboard = await api(url, "GET", "/api/runs", undefined, {
      origin: "http://127.0.0.1:5173",
    });
    expect(dashboard.status).to.equal(200);
    expect(() =>
      loadConfig({ COORDINATOR_HOST: "0.0.0.0", DEPLOYMENT_FILE: chain.deploymentFile }),
    ).to.throw(/ADMIN_TOKEN/);
  });

  it("refuses a replayed agent request, and one whose query or x-fedledger headers changed", async () => {
    const account = privateKeyToAccount(HARDHAT_DEV_KEYS[3]!);
    const client = new CoordinatorClient(stack.server.url, account, "replay-node");
    const domain = (await (await fetch(`${stack.server.url}/api/agent/domain`)).json()) as {
      chainId: number;
      verifyingContract: `0x${string}`;
    };
    const deadline = Math.floor(Date.now() / 1000) + 3600;
    await client.call("POST", "/api/nodes", {
      body: {
        nodeId: "replay-node",
        wallet: account.address,
        deadline,
        signature: await signRegistration(account, domain, "replay-node", BigInt(deadline)),
      },
    });
    const body = JSON.stringify({
      data: "synthetic:0-10",
      samples: 10,
      histogram: [10, 0, 0, 0, 0, 0, 0, 0, 0, 0],
      backend: "none",
    });
    const headers = await signAgentRequest(
      account,
      "replay-node",
      "POST",
      "/api/agent/hello",
      body,
    );
    const send = (h: Record<string, string>, target = "/api/agent/hello", method = "POST") =>
      fetch(`${stack.server.url}${target}`, {
        method,
        headers: { "content-type": "application/json", ...h },
        ...(method === "POST" ? { body } : {}),
      });
    expect((await send(headers)).status).to.equal(200);
    const replay = await send(headers);
    expect(replay.status).to.equal(401);
    expect(((await replay.json()) as { error: { code: string } }).error.code).to.equal(
      "agent_replay",
    );
    // A signed long poll whose query is changed on the way.
    const poll = await signAgentRequest(
      account,
      "replay-node",
      "GET",
      "/api/agent/task?waitMs=0",
      undefined,
    );
    expect((await send(poll, "/api/agent/task?waitMs=60000", "GET")).status).to.equal(401);
    // An update's metadata header (train loss, clip bit) changed on the way.
    const meta = { [AGENT_HEADERS.update]: "eyJhIjoxfQ" };
    const signedMeta = await signAgentRequest(
      account,
      "replay-node",
      "POST",
      "/api/agent/tasks/task-0000000000000000/update",
      new Uint8Array(4),
      meta,
    );
    const altered = await fetch(
      `${stack.server.url}/api/agent/tasks/task-0000000000000000/update`,
      {
        method: "POST",
        headers: {
          "content-type": "application/octet-stream",
          ...signedMeta,
          [AGENT_HEADERS.update]: "eyJhIjoyfQ",
        },
        body: new Uint8Array(4),
      },
    );
    expect(altered.status).to.equal(401);
  });

  it("caps event streams per client", async () => {
    const run = await api<RunSummary>(
      guarded.server.url,
      "POST",
      "/api/runs",
      {
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
      },
      { authorization: `Bearer ${TOKEN}` },
    );
    expect(run.status).to.equal(201);
    const controllers: AbortController[] = [];
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 17; i++) {
        const c = new AbortController();
        controllers.push(c);
        const res = await fetch(`${guarded.server.url}/api/runs/${run.body.id}/events`, {
          signal: c.signal,
        });
        statuses.push(res.status);
      }
      expect(statuses.slice(0, 16).every((s) => s === 200)).to.equal(true);
      expect(statuses[16]).to.equal(429);
    } finally {
      for (const c of controllers) c.abort();
    }
  });

  it("a node cannot buy weight or reward with samples it did not announce, or announce past the cap", async () => {
    const stop = new AbortController();
    const honest = new NodeAgent({
      coordinator: stack.server.url,
      account: simulatedNodeAccount(10),
      nodeId: "honest-node",
      data: parseAgentData("synthetic:0-300"),
      log: () => undefined,
    });
    const agents = [
      honest.run(stop.signal),
      lyingAgent(
        stack.server.url,
        simulatedNodeAccount(11),
        "claims-more",
        { announce: 300, claim: 2 ** 53 - 1 },
        stop.signal,
      ),
      lyingAgent(
        stack.server.url,
        simulatedNodeAccount(12),
        "announces-more",
        { announce: 2 ** 53 - 1, claim: 2 ** 53 - 1 },
        stop.signal,
      ),
    ];
    try {
      // Only these three online: an agent of an earlier test counts as online for a few seconds
      // after its last call, and a round that chose it would wait out its timeout.
      await until("the three agents, and only them, online", async () => {
        const ids = stack.coord.hub.online().map((n) => n.nodeId);
        return ids.join() === "announces-more,claims-more,honest-node";
      });
      const run = await api<RunSummary>(stack.server.url, "POST", "/api/runs", {
        dataset: "synthetic",
        model: "logreg",
        partition: { kind: "iid" },
        numNodes: 2,
        fraction: 1,
        rounds: 1,
        localEpochs: 1,
        batchSize: 32,
        learningRate: 0.1,
        strategy: { name: "fedavg" },
        nodeSource: "remote",
        minNodes: 2,
        roundTimeoutMs: 60_000,
      });
      expect(run.status).to.equal(201);
      const round = await firstRound(stack.server.url, run.body.id);
      const by = new Map(round.updates.map((u) => [u.nodeId, u]));
      // The over-claim is rejected with its reason and earns nothing; the honest node is paid.
      expect(by.get("claims-more")?.accepted).to.equal(false);
      expect(by.get("claims-more")?.reason).to.match(
        /claims 9007199254740991 samples, more than the 300/,
      );
      expect(by.get("claims-more")?.reward ?? "0").to.equal("0");
      expect(by.get("honest-node")?.accepted).to.equal(true);
      expect(BigInt(by.get("honest-node")!.reward!)).to.be.greaterThan(0n);
      // A node announcing more than the run's cap is never chosen.
      expect(by.has("announces-more")).to.equal(false);
      expect(
        await stack.coord.admission.refusal(
          {
            id: "announces-more",
            wallet: simulatedNodeAccount(12).address,
            samples: 2 ** 53 - 1,
            fit: () => Promise.reject(),
          },
          { runId: run.body.id, maxSamples: 2_000 },
        ),
      ).to.match(/more than this run's cap of 2000/);
    } finally {
      stop.abort();
      await Promise.allSettled(agents);
      await honest.close();
    }
  });

  it("a compressing run: an honest agent's compressed update is paid; truncated, wrong-k, NaN-scale, out-of-range and version-2 payloads are refused with the reason and earn nothing", async () => {
    const stop = new AbortController();
    const honest = new NodeAgent({
      coordinator: stack.server.url,
      account: simulatedNodeAccount(14),
      nodeId: "honest-compressed",
      data: parseAgentData("synthetic:0-300"),
      log: () => undefined,
    });
    const answers = new Map<number, Answer>();
    const agents = [
      honest.run(stop.signal),
      ...CORRUPTIONS.map((_, liar) => compressedLiar(stack.server.url, liar, answers, stop.signal)),
    ];
    const ids = ["honest-compressed", ...CORRUPTIONS.map((_, liar) => `liar-${liar}`)];
    try {
      await until("the six agents, and only them, online", async () => {
        const online = stack.coord.hub.online().map((n) => n.nodeId);
        return online.join() === [...ids].sort().join();
      });
      const run = await api<RunSummary>(stack.server.url, "POST", "/api/runs", {
        dataset: "synthetic",
        model: "logreg",
        partition: { kind: "iid" },
        numNodes: ids.length,
        fraction: 1,
        rounds: 1,
        localEpochs: 1,
        batchSize: 32,
        learningRate: 0.1,
        strategy: { name: "fedavg" },
        nodeSource: "remote",
        minNodes: ids.length,
        roundTimeoutMs: 60_000,
        compression: { upload: { topK: 0.25, quantise: "int8" }, download: { quantise: "int8" } },
      });
      expect(run.status, JSON.stringify(run.body)).to.equal(201);
      const round = await firstRound(stack.server.url, run.body.id);
      const by = new Map(round.updates.map((u) => [u.nodeId, u]));
      for (const [liar, c] of CORRUPTIONS.entries()) {
        const answer = answers.get(liar);
        expect(answer, c.name).to.include({ status: 400, code: "update_payload_invalid" });
        expect(answer!.message, c.name).to.match(c.reason);
        const outcome = by.get(`liar-${liar}`)!;
        expect(outcome.accepted, c.name).to.equal(false);
        expect(outcome.reason, c.name).to.match(/^malformed compressed update: /);
        expect(outcome.reason, c.name).to.match(c.reason);
        expect(outcome.reward ?? "0").to.equal("0");
      }
      const good = by.get("honest-compressed")!;
      expect(good.accepted).to.equal(true);
      expect(BigInt(good.reward!)).to.be.greaterThan(0n);
      expect(good.resources!.uploadBytes).to.be.lessThan(round.traffic!.rawModelBytes / 2);
      const contributions = await api<{ nodeId: string }[]>(
        stack.server.url,
        "GET",
        `/api/contributions?run=${run.body.id}`,
      );
      expect(contributions.body.map((c) => c.nodeId)).to.deep.equal(["honest-compressed"]);
    } finally {
      stop.abort();
      await Promise.allSettled(agents);
      await honest.close();
    }
  });

  it("a node agent refuses a task below its operator's privacy floor, and shows as refusing", async () => {
    const stop = new AbortController();
    const careful = new NodeAgent({
      coordinator: stack.server.url,
      account: simulatedNodeAccount(13),
      nodeId: "careful-node",
      data: parseAgentData("synthetic:0-200"),
      floor: { requireSecure: true, minNoiseMultiplier: 0.5 },
      log: () => undefined,
    });
    const running = careful.run(stop.signal);
    try {
      // Only it online: agents of earlier tests count as online for a few seconds after their
      // last call, and a round that chose one would wait out its timeout.
      await until(
        "the careful node, and only it, online",
        async () =>
          stack.coord.hub.online().every((n) => n.nodeId === "careful-node") &&
          stack.coord.hub.online().length === 1,
      );
      // Before: the agent trained and sent a raw update whenever the task asked for one.
      const run = await api<RunSummary>(stack.server.url, "POST", "/api/runs", {
        dataset: "synthetic",
        model: "logreg",
        partition: { kind: "iid" },
        numNodes: 1,
        fraction: 1,
        rounds: 1,
        localEpochs: 1,
        batchSize: 32,
        learningRate: 0.1,
        strategy: { name: "fedavg" },
        nodeSource: "remote",
        minNodes: 1,
        roundTimeoutMs: 60_000,
      });
      const round = await firstRound(stack.server.url, run.body.id);
      const outcome = round.updates.find((u) => u.nodeId === "careful-node");
      expect(outcome?.accepted).to.equal(false);
      expect(outcome?.reason).to.match(/refused the task: .*--require-secure/);
      const node = await api<NodeSummary>(stack.server.url, "GET", "/api/nodes/careful-node");
      expect(node.body.status).to.equal("refusing");
      expect(node.body.refusal).to.match(/only masked updates/);
    } finally {
      stop.abort();
      await running.catch(() => undefined);
      await careful.close();
    }
  });
});
