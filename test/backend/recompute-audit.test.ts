// The re-execution audit (issue 15) on a real chain and engine. An honest run's every loss is
// recomputed from its published artifacts, exactly. Then a lying coordinator: it rewrites one
// contribution's lossAfter (and the rewards, consistently) before the chain write, and separately
// an artifact an auditor downloaded is swapped for another update. The plain audit passes both
// (the split is arithmetically right, the store agrees with the chain); the recompute audit fails
// on exactly the lied-about contribution.
import { expect } from "chai";
import { readdirSync, rmSync, copyFileSync } from "node:fs";
import path from "node:path";
import type { RunSummary } from "../../backend/src/domain/index.js";
import { splitRewards } from "../../backend/src/rewards/reward-policy.js";
import { policyFor } from "../../backend/src/runs/run-state-builder.js";
import {
  finishedRun,
  runAudit,
  startCoordinatorStack,
  type CoordinatorStack,
} from "../helpers/coordinator-stack.js";
import { api } from "../helpers/http.js";
import { until } from "../helpers/until.js";
import { tempDir } from "../helpers/temp-dir.js";
import { keccak256 } from "viem";

const base = {
  dataset: "synthetic",
  model: "2nn",
  partition: { kind: "iid" },
  numNodes: 3,
  fraction: 1,
  rounds: 3,
  localEpochs: 1,
  batchSize: 32,
  learningRate: 0.1,
  strategy: { name: "fedavg" },
};

interface RecomputeJson {
  ok: boolean;
  recompute: {
    ok: boolean;
    maxDeviation: number;
    spec: { id: string; ok: boolean; detail: string }[];
    rounds: {
      round: number;
      status: string;
      contributions: { node: string; updateHash: string; status: string; detail: string }[];
    }[];
  };
}

/** Runs the audit CLI, returning its JSON report whatever its exit code. */
async function audit(env: Record<string, string>, args: string[]): Promise<RecomputeJson> {
  try {
    return JSON.parse(await runAudit(env, [...args, "--json"])) as RecomputeJson;
  } catch (err) {
    const stdout = (err as { stdout?: string }).stdout;
    if (!stdout) throw err;
    return JSON.parse(stdout) as RecomputeJson;
  }
}

const failures = (r: RecomputeJson) =>
  r.recompute.rounds.flatMap((x) =>
    x.contributions.filter((c) => c.status !== "verified").map((c) => ({ round: x.round, ...c })),
  );

describe("re-execution audit (real chain, real engine)", function () {
  this.timeout(300_000);
  let stack: CoordinatorStack;
  let url: string;
  const dirs: string[] = [];

  before(async () => {
    stack = await startCoordinatorStack({ dataDirPrefix: "fl-recompute-", workers: 1 });
    url = stack.server.url;
  });

  after(async () => {
    await stack?.server.close();
    await stack?.coord.close();
    await stack?.chain.stop();
    for (const d of [...dirs, stack?.env.DATA_DIR])
      if (d) rmSync(d, { recursive: true, force: true });
  });

  it("recomputes every loss of an honest run exactly, from the coordinator and from a saved copy", async () => {
    const created = await api<RunSummary>(url, "POST", "/api/runs", {
      ...base,
      seed: 11,
      reward: { policy: "shapley-mc", poolPerRound: "100", permutations: 20 },
    });
    await finishedRun(url, created.body.id);
    const saved = tempDir("fl-recompute-saved-");
    dirs.push(saved);
    const live = await audit(stack.env, [
      "--run",
      created.body.id,
      "--recompute",
      "--from",
      url,
      "--save",
      saved,
    ]);
    expect(live.ok, JSON.stringify(live.recompute.spec)).to.equal(true);
    expect(live.recompute.ok).to.equal(true);
    expect(live.recompute.rounds.map((r) => r.status)).to.deep.equal([
      "verified",
      "verified",
      "verified",
    ]);
    expect(live.recompute.spec.find((c) => c.id === "dataset")!.detail).to.match(/re-derived/);
    expect(live.recompute.maxDeviation).to.equal(0);

    // The saved copy re-audits offline; a swapped update in it is caught on exactly its contribution.
    const offline = await audit(stack.env, [
      "--run",
      created.body.id,
      "--recompute",
      "--from",
      saved,
    ]);
    expect(offline.recompute.ok).to.equal(true);
    const round2 = live.recompute.rounds[1]!.contributions;
    const file = (h: string) => path.join(saved, `${h.toLowerCase()}.bin`);
    copyFileSync(file(round2[1]!.updateHash), file(round2[0]!.updateHash));
    const swapped = await audit(stack.env, [
      "--run",
      created.body.id,
      "--recompute",
      "--from",
      saved,
    ]);
    expect(swapped.ok, "the plain audit still passes").to.equal(true);
    expect(swapped.recompute.ok).to.equal(false);
    const bad = failures(swapped);
    expect(bad.filter((c) => c.status !== "not-recomputed")).to.have.length(1);
    expect(bad[0]).to.include({ round: 2, node: round2[0]!.node, status: "artifact-corrupt" });
    expect(readdirSync(saved).length).to.be.greaterThan(8);
  });

  it("catches a coordinator that rewrote one contribution's lossAfter before recording it, which the plain audit passes", async () => {
    await stack.coord.outbox.stop();
    const created = await api<RunSummary>(url, "POST", "/api/runs", { ...base, seed: 12 });
    const id = created.body.id;
    await until("run completed in the store", async () => {
      const r = await api<RunSummary>(url, "GET", `/api/runs/${id}`);
      return r.body.status === "completed";
    });
    // The lie: node 0 of the last round measured a bigger improvement than it did; rewards are
    // re-split by the public formula (with what earlier rounds carried) so that every arithmetic
    // check holds, and the store says the same.
    const db = stack.coord.db;
    type Payload = {
      contributions: {
        node: string;
        samples: number;
        lossBefore: string;
        lossAfter: string;
        reward: string;
      }[];
    };
    const payloadOf = async (round: number) => {
      const [row] = await db.query<{ payload: string }>(
        "SELECT payload FROM outbox WHERE id = $1",
        [`record-round:${id}:${round}`],
      );
      return JSON.parse(row!.payload) as Payload;
    };
    const policy = policyFor(created.body.config);
    const scored = (p: Payload) =>
      p.contributions.map((c) => ({
        samples: c.samples,
        lossBefore: BigInt(c.lossBefore),
        lossAfter: BigInt(c.lossAfter),
      }));
    let carry = 0n;
    for (const round of [1, 2])
      carry = splitRewards(policy, scored(await payloadOf(round)), carry).carry;
    const payload = await payloadOf(3);
    const victim = payload.contributions[0]!;
    victim.lossAfter = (BigInt(victim.lossAfter) / 2n).toString();
    const { rewards } = splitRewards(policy, scored(payload), carry);
    payload.contributions.forEach((c, i) => (c.reward = rewards[i]!.toString()));
    await db.execute("UPDATE outbox SET payload = $1 WHERE id = $2", [
      JSON.stringify(payload),
      `record-round:${id}:3`,
    ]);
    for (const c of payload.contributions)
      await db.execute(
        "UPDATE contributions SET reward = $1 WHERE run_id = $2 AND round = 3 AND lower(wallet) = lower($3)",
        [c.reward, id, c.node],
      );
    stack.coord.outbox.start();
    await finishedRun(url, id);

    const plain = await audit(stack.env, ["--run", id]);
    expect(plain.ok, "the plain audit passes a consistent lie").to.equal(true);
    const report = await audit(stack.env, ["--run", id, "--recompute", "--from", url]);
    expect(report.recompute.ok).to.equal(false);
    const bad = failures(report);
    expect(bad).to.have.length(1);
    expect(bad[0]).to.include({ round: 3, status: "mismatch" });
    expect(bad[0]!.node.toLowerCase()).to.equal(victim.node.toLowerCase());
    expect(bad[0]!.detail).to.match(/recorded lossBefore .* lossAfter/);
  });

  it("a compressed run (top-k + int4 up, int8 down): the chain's update hashes are the payloads', and the audit decodes and verifies them", async () => {
    const compression = {
      upload: { topK: 0.1, quantise: "int4" },
      download: { quantise: "int8" },
    };
    const created = await api<RunSummary>(url, "POST", "/api/runs", {
      ...base,
      seed: 13,
      compression,
    });
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    const { rounds } = await finishedRun(url, created.body.id);
    expect(rounds[2]!.testAccuracy!).to.be.greaterThan(rounds[0]!.testAccuracy!);
    for (const r of rounds) {
      expect(r.updates.every((u) => u.accepted)).to.equal(true);
      const t = r.traffic!;
      expect(t.uploads).to.equal(3);
      // 10% of the values as 4-bit integers with their index gaps: over 20x fewer bytes.
      expect((t.uploads * t.rawModelBytes) / t.uploadBytes).to.be.greaterThan(20);
      expect((t.downloads * t.rawModelBytes) / t.downloadBytes).to.be.within(3.9, 4);
    }
    // The stored update is the payload its node signed, and the chain's hash is the payload's.
    const refs = await api<{ kind: string; hash: string; round: number }[]>(
      url,
      "GET",
      `/api/runs/${created.body.id}/artifacts`,
    );
    const update = refs.body.find((x) => x.kind === "update" && x.round === 1)!;
    const bytes = new Uint8Array(
      await (await fetch(`${url}/api/artifacts/${update.hash}`)).arrayBuffer(),
    );
    expect(new TextDecoder().decode(bytes.subarray(0, 4))).to.equal("FLUP");
    expect(keccak256(bytes)).to.equal(update.hash);
    expect(rounds[0]!.updates.map((u) => u.updateHash)).to.include(update.hash);
    const report = await audit(stack.env, ["--run", created.body.id, "--recompute", "--from", url]);
    expect(report.recompute.ok, JSON.stringify(failures(report))).to.equal(true);
    expect(report.recompute.rounds.map((r) => r.status)).to.deep.equal([
      "verified",
      "verified",
      "verified",
    ]);
  });
});
