// Faults a real deployment meets, each on the real stack: the coordinator process killed with
// SIGKILL in the middle of a round while node agents (separate processes) train, the chain's RPC
// endpoint going away and coming back during a run, and the chain process itself stopped
// (SIGSTOP) and continued while writes are in flight. Nothing may be lost or minted twice, and the
// audit from chain events must agree with the store afterwards.
import { expect } from "chai";
import path from "node:path";
import { privateKeyToAccount } from "viem/accounts";
import type {
  ContributionRecord,
  CreateRunRequest,
  RoundRecord,
  RunSummary,
} from "../../backend/src/domain/index.js";
import { type Coordinator } from "../../backend/src/coordinator.js";
import { runAudit, startCoordinatorStack } from "../helpers/coordinator-stack.js";
import { api, type TestServer } from "../helpers/http.js";
import { freePort, startLocalChain, type LocalChain } from "../helpers/local-chain.js";
import {
  HARDHAT_DEV_KEYS,
  root,
  startAgents,
  startProcess,
  type Child,
} from "../helpers/processes.js";
import { startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy.js";
import { until } from "../helpers/until.js";
import { tempDir } from "../helpers/temp-dir.js";

interface AuditJson {
  ok: boolean;
  rounds: number;
  contributions: number;
  totalReward: string;
  checks: { name: string; ok: boolean; detail: string }[];
}

async function audit(runId: string, env: Record<string, string>): Promise<AuditJson> {
  return JSON.parse(await runAudit(env, ["--run", runId, "--json"])) as AuditJson;
}

async function rounds(url: string, runId: string): Promise<RoundRecord[]> {
  return (await api<RoundRecord[]>(url, "GET", `/api/runs/${runId}/rounds`)).body;
}

async function completed(url: string, runId: string, ms?: number): Promise<RunSummary> {
  return until(
    `run ${runId} to complete`,
    async () => {
      const r = await api<RunSummary>(url, "GET", `/api/runs/${runId}`);
      if (r.body.status === "failed") throw new Error(`run failed: ${r.body.error}`);
      return r.body.status === "completed" && r.body;
    },
    ms,
  );
}

/** Counts lines of an agent's output that say it (re)connected. */
const connections = (a: Child) =>
  a
    .output()
    .split("\n")
    .filter((l) => /connected to/.test(l));

describe("faults", function () {
  this.timeout(600_000);
  let chain: LocalChain;

  before(async () => {
    chain = await startLocalChain();
  });

  after(async () => {
    await chain?.stop();
  });

  it("the coordinator killed with SIGKILL mid-round: agents reconnect, the run resumes, nothing is lost or minted twice", async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const env = {
      CHAIN_RPC_URL: chain.rpcUrl,
      DEPLOYMENT_FILE: chain.deploymentFile,
      DATA_DIR: tempDir("fl-sigkill-"),
      COORDINATOR_PORT: String(port),
      TRAINING_WORKERS: "1",
    };
    const coordinatorMain = path.join(root, "backend", "src", "main.ts");
    let coordinator = startProcess("coordinator", [coordinatorMain], env);
    const agents: Child[] = [];
    try {
      await coordinator.waitFor(/listening on/);
      const ids = ["fault-a", "fault-b", "fault-c"];
      const keys = [HARDHAT_DEV_KEYS[5]!, HARDHAT_DEV_KEYS[6]!, HARDHAT_DEV_KEYS[7]!];
      const slices = ["synthetic:0-600", "synthetic:600-1200", "synthetic:1200-1800"];
      agents.push(...(await startAgents(url, ids, keys, slices)));

      const req: CreateRunRequest = {
        dataset: "synthetic",
        model: "2nn",
        partition: { kind: "iid" },
        nodeSource: "remote",
        numNodes: 3,
        fraction: 1,
        rounds: 4,
        localEpochs: 12,
        batchSize: 20,
        learningRate: 0.05,
        strategy: { name: "fedavg" },
        roundTimeoutMs: 120_000,
        seed: 21,
      };
      const created = await api<RunSummary>(url, "POST", "/api/runs", req);
      expect(created.status, JSON.stringify(created.body)).to.equal(201);
      const id = created.body.id;

      // Kill the coordinator once round 1 is persisted and every agent is training round 2.
      await until("round 2 to be training", async () => {
        const rs = await rounds(url, id);
        return rs.some((r) => r.round === 1 && r.status !== "training") &&
          rs.some((r) => r.round === 2 && r.status === "training")
          ? true
          : undefined;
      });
      await Promise.all(agents.map((a) => a.waitFor(/round 2 of run-/)));
      await new Promise((r) => setTimeout(r, 500));
      await coordinator.kill("SIGKILL");
      expect(coordinator.proc.signalCode).to.equal("SIGKILL");

      // A new coordinator process on the same store, chain and port.
      coordinator = startProcess("coordinator", [coordinatorMain], env);
      await coordinator.waitFor(/listening on/);
      // And again the moment round 3 is persisted, when its chain write is about to go out (or
      // just went out): the restart must neither lose it nor send it twice.
      await until(
        "round 3 to be persisted",
        async () =>
          (await rounds(url, id)).some((r) => r.round === 3 && r.status !== "training") ||
          undefined,
        240_000,
        20,
      );
      await coordinator.kill("SIGKILL");
      coordinator = startProcess("coordinator", [coordinatorMain], env);
      await coordinator.waitFor(/listening on/);
      const run = await completed(url, id);
      expect(run.completedRounds).to.equal(4);
      // Every agent found the new coordinators by itself.
      for (const a of agents) expect(connections(a).length).to.be.at.least(3);

      const rs = await until("every round on chain", async () => {
        const r = await rounds(url, id);
        return r.every((x) => x.txHash !== null) && r;
      });
      expect(rs.map((r) => r.round)).to.deep.equal([1, 2, 3, 4]);
      for (const r of rs) {
        expect(r.status).to.equal("recorded");
        expect([...r.participants].sort()).to.deep.equal(ids);
        expect(r.updates.filter((u) => u.accepted)).to.have.length(3);
      }

      // Exactly one contribution per node and round in the store, on chain and in the audit.
      const contributions = (
        await api<ContributionRecord[]>(url, "GET", `/api/contributions?run=${id}`)
      ).body;
      expect(contributions).to.have.length(12);
      expect(new Set(contributions.map((c) => `${c.round}:${c.nodeId}`)).size).to.equal(12);
      const report = await audit(id, env);
      expect(report.ok, JSON.stringify(report.checks)).to.equal(true);
      expect(report.rounds).to.equal(4);
      expect(report.contributions).to.equal(12);
      const walletA = privateKeyToAccount(keys[0]!).address;
      const recorded = (await api<{ recordedWei: string }>(url, "GET", `/api/rewards/${walletA}`))
        .body.recordedWei;
      expect(BigInt(recorded)).to.equal(
        contributions
          .filter((c) => c.nodeId === "fault-a")
          .reduce((s, c) => s + BigInt(c.rewardWei), 0n),
      );
    } finally {
      await Promise.all(agents.map((a) => a.kill("SIGKILL")));
      await coordinator.kill("SIGKILL");
    }
  });

  describe("the chain's RPC endpoint goes away and comes back during a run", () => {
    let proxy: TcpProxy;
    let coord: Coordinator;
    let server: TestServer;
    let env: Record<string, string>;

    before(async () => {
      proxy = await startTcpProxy(chain.port);
      ({ coord, server, env } = await startCoordinatorStack({
        dataDirPrefix: "fl-chain-down-",
        chain,
        rpcUrl: proxy.url,
        outbox: { baseDelayMs: 200, maxDelayMs: 2_000, idleMs: 100 },
      }));
    });

    after(async () => {
      await server?.close();
      await coord?.close();
      await proxy?.close();
    });

    it("training goes on, the outbox drains once it is back, and the totals match the audit", async () => {
      const created = await api<RunSummary>(server.url, "POST", "/api/runs", {
        dataset: "synthetic",
        model: "2nn",
        partition: { kind: "iid" },
        numNodes: 4,
        fraction: 1,
        rounds: 5,
        localEpochs: 1,
        batchSize: 20,
        learningRate: 0.05,
        strategy: { name: "fedavg" },
        seed: 17,
      } satisfies CreateRunRequest);
      expect(created.status, JSON.stringify(created.body)).to.equal(201);
      const id = created.body.id;
      await until("round 1 on chain", async () =>
        (await rounds(server.url, id)).some((r) => r.round === 1 && r.txHash !== null),
      );

      await proxy.down();
      // The run finishes while the chain cannot be reached: training never waits for the chain.
      await completed(server.url, id);
      const offline = await rounds(server.url, id);
      expect(offline.map((r) => r.round)).to.deep.equal([1, 2, 3, 4, 5]);
      expect(offline.filter((r) => r.txHash === null).length).to.be.at.least(3);
      const health = (
        await api<{
          status: string;
          chain: { reachable: boolean };
          outbox: { pending: number; lastError: string | null };
        }>(server.url, "GET", "/api/health")
      ).body;
      expect(health.status).to.equal("degraded");
      expect(health.chain.reachable).to.equal(false);
      expect(health.outbox.pending).to.be.at.least(3);
      expect(health.outbox.lastError).to.be.a("string");

      await proxy.up();
      const onChain = await until("the outbox to drain", async () => {
        const r = await rounds(server.url, id);
        return r.every((x) => x.txHash !== null) && r;
      });
      expect(new Set(onChain.map((r) => r.txHash)).size).to.equal(5);
      const after = (
        await api<{ outbox: { pending: number; failed: number } }>(server.url, "GET", "/api/health")
      ).body;
      expect(after.outbox.pending).to.equal(0);
      expect(after.outbox.failed).to.equal(0);

      const contributions = (
        await api<ContributionRecord[]>(server.url, "GET", `/api/contributions?run=${id}`)
      ).body;
      expect(contributions).to.have.length(20);
      const report = await audit(id, { ...env, CHAIN_RPC_URL: chain.rpcUrl });
      expect(report.ok, JSON.stringify(report.checks)).to.equal(true);
      expect(report.contributions).to.equal(20);
      expect(BigInt(report.totalReward)).to.equal(
        contributions.reduce((s, c) => s + BigInt(c.rewardWei), 0n),
      );
    });

    it("the chain process stopped mid-run and continued: health answers fast, writes sent into the stopped chain land once", async () => {
      const created = await api<RunSummary>(server.url, "POST", "/api/runs", {
        dataset: "synthetic",
        model: "2nn",
        partition: { kind: "iid" },
        numNodes: 3,
        fraction: 1,
        rounds: 4,
        localEpochs: 1,
        batchSize: 20,
        learningRate: 0.05,
        strategy: { name: "fedavg" },
        seed: 23,
      } satisfies CreateRunRequest);
      expect(created.status, JSON.stringify(created.body)).to.equal(201);
      const id = created.body.id;
      await until("round 1 on chain", async () =>
        (await rounds(server.url, id)).some((r) => r.round === 1 && r.txHash !== null),
      );

      // Connections are accepted by the kernel and never answered: the outbox's writes hang.
      chain.freeze();
      try {
        await completed(server.url, id);
        // Health reads a cached chain status: it notices the frozen chain within the watch's
        // interval (rounds may finish faster than that), and every answer meanwhile is fast.
        const health = await until("health to see the frozen chain", async () => {
          const started = Date.now();
          const h = (
            await api<{ status: string; chain: { reachable: boolean; error?: string } }>(
              server.url,
              "GET",
              "/api/health",
            )
          ).body;
          expect(Date.now() - started).to.be.below(5_000);
          return !h.chain.reachable && h;
        });
        expect(health.status).to.equal("degraded");
        expect((await rounds(server.url, id)).some((r) => r.txHash === null)).to.equal(true);
      } finally {
        chain.thaw();
      }

      const onChain = await until("the outbox to drain", async () => {
        const r = await rounds(server.url, id);
        return r.length === 4 && r.every((x) => x.txHash !== null) && r;
      });
      expect(onChain.map((r) => r.round)).to.deep.equal([1, 2, 3, 4]);
      const contributions = (
        await api<ContributionRecord[]>(server.url, "GET", `/api/contributions?run=${id}`)
      ).body;
      expect(contributions).to.have.length(12);
      // Exactly one ContributionRecorded event per node and round, whatever was retried.
      const report = await audit(id, { ...env, CHAIN_RPC_URL: chain.rpcUrl });
      expect(report.ok, JSON.stringify(report.checks)).to.equal(true);
      expect(report.rounds).to.equal(4);
      expect(report.contributions).to.equal(12);
    });
  });
});
