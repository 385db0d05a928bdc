// Anomaly screening of updates (issue 18): the pure scoring (rounds/update-anomaly.ts) on exact
// small examples, and real federated runs on small MNIST under FedAvg with planted attackers that
// boost their updates x10, on the real stack (chain, outbox, TensorFlow.js workers): flagged after
// minHistory, honest nodes rarely, excluded with the reason and without reward or contribution
// when asked, the scores in GET /api/contributions, and the history kept across a restart.
import { expect } from "chai";
import path from "node:path";
import "../helpers/chai-near.js";
import type {
  Alert,
  AnomalySpec,
  ContributionRecord,
  CreateRunRequest,
  RoundRecord,
  RunSummary,
  UpdateAnomaly,
} from "../../backend/src/domain/index.js";
import {
  anomalyReason,
  EMPTY_HISTORY,
  extendHistory,
  historyFromRounds,
  measureUpdates,
  relativeNorms,
  robustStats,
  robustZ,
  scoreUpdates,
  Z_LIMIT,
  type AnomalyHistory,
} from "../../backend/src/rounds/update-anomaly.js";
import { type Coordinator } from "../../backend/src/coordinator.js";
import { migrate } from "../../backend/src/store/migrations.js";
import { PostgresDatabase } from "../../backend/src/store/postgres-database.js";
import { contributionsRepo } from "../../backend/src/store/repos/contributions-repo.js";
import type { SqlDatabase } from "../../backend/src/store/sql-database.js";
import { SqliteDatabase } from "../../backend/src/store/sqlite-database.js";
import { tempDir } from "../helpers/temp-dir.js";
import { type LocalChain } from "../helpers/local-chain.js";
import {
  finishedRun,
  runAudit,
  startCoordinator,
  startCoordinatorStack,
} from "../helpers/coordinator-stack.js";
import { api, listen, type TestServer } from "../helpers/http.js";
import { until } from "../helpers/until.js";

const spec = (s: Partial<AnomalySpec> = {}): AnomalySpec => ({
  threshold: 3.5,
  minHistory: 10,
  exclude: false,
  ...s,
});

/** A history of n values: relative norms 1 +- 0.1, relative cosines 0 +- 0.05 (deterministic). */
function steadyHistory(n: number): AnomalyHistory {
  const wave = (i: number) => [0, 1, -1, 0.5, -0.5][i % 5]!;
  return {
    relativeNorms: Array.from({ length: n }, (_, i) => 1 + 0.1 * wave(i)),
    relativeCosines: Array.from({ length: n }, (_, i) => 0.05 * wave(i)),
  };
}

const allFinite = (a: UpdateAnomaly) =>
  [a.norm, a.cosine, a.normZ ?? 0, a.cosineZ ?? 0].every(Number.isFinite);

describe("update anomaly scoring (pure)", () => {
  it("computes the robust z-score exactly: median and 1.4826 x MAD", () => {
    // median 3; deviations 2,1,0,1,97 -> MAD 1.
    const stats = robustStats([1, 2, 3, 4, 100]);
    expect(stats.median).to.equal(3);
    expect(stats.scale).to.equal(1.4826);
    expect(robustZ(10, stats)).to.equal(7 / 1.4826);
    expect(robustZ(3, stats)).to.equal(0);
    expect(robustZ(1.5, stats)).to.equal(-1.5 / 1.4826);
    // Even length: median 2.5, deviations 1.5, 0.5, 0.5, 1.5 -> MAD 1.
    const even = robustStats([4, 1, 3, 2]);
    expect(even).to.deep.equal({ median: 2.5, scale: 1.4826 });
  });

  it("guards MAD = 0: the mean absolute deviation stands in, and z stays finite when all equal", () => {
    // More than half equal: MAD 0, mean absolute deviation 4/5 = 0.8.
    const stats = robustStats([5, 5, 5, 5, 9]);
    expect(stats.median).to.equal(5);
    expect(stats.scale).to.be.near(1.2533 * 0.8, 1e-12);
    expect(robustZ(7, stats)).to.be.near(2 / (1.2533 * 0.8), 1e-9);
    // All equal: z is 0 on the value and +-Z_LIMIT off it, never Infinity or NaN.
    const flat = robustStats([2, 2, 2]);
    expect(flat.scale).to.equal(0);
    expect(robustZ(2, flat)).to.equal(0);
    expect(robustZ(2.0001, flat)).to.equal(Z_LIMIT);
    expect(robustZ(1, flat)).to.equal(-Z_LIMIT);
    // And a huge outlier is clamped.
    expect(robustZ(1e12, robustStats([1, 2, 3]))).to.equal(Z_LIMIT);
  });

  it("measures each delta's norm and cosine to the mean unit delta, zero deltas included", () => {
    const start = new Float32Array([1, 1, 1]);
    const m = measureUpdates(start, [
      new Float32Array([2, 1, 1]), // d = (1, 0, 0)
      new Float32Array([1, 3, 1]), // d = (0, 2, 0)
      new Float32Array([1, 1, 1]), // d = 0 (sent back the start model)
      new Float32Array([4, 5, 1]), // d = (3, 4, 0), unit (0.6, 0.8, 0)
    ]);
    // Sum of the unit deltas (the mean direction): (1.6, 1.8, 0), norm sqrt(5.8).
    const r = Math.sqrt(5.8);
    expect(m[0]!.norm).to.equal(1);
    expect(m[0]!.cosine).to.be.near(1.6 / r, 1e-12);
    expect(m[1]!.norm).to.equal(2);
    expect(m[1]!.cosine).to.be.near(1.8 / r, 1e-12);
    expect(m[2]).to.deep.equal({ norm: 0, cosine: 0 });
    expect(m[3]!.norm).to.be.near(5, 1e-12);
    expect(m[3]!.cosine).to.be.near(2.4 / r, 1e-12);
    // Boosting an update x10 changes its norm, not the reference direction.
    const boosted = measureUpdates(start, [
      new Float32Array([11, 1, 1]),
      new Float32Array([1, 3, 1]),
      new Float32Array([1, 1, 1]),
      new Float32Array([4, 5, 1]),
    ]);
    expect(boosted[0]!.norm).to.equal(10);
    boosted.forEach((x, i) => expect(x.cosine).to.be.near(m[i]!.cosine, 1e-12));
    // Everyone sent back the start model: all zeros, no NaN anywhere.
    const zeros = measureUpdates(start, [start.slice(), start.slice()]);
    expect(zeros).to.deep.equal([
      { norm: 0, cosine: 0 },
      { norm: 0, cosine: 0 },
    ]);
    const scored = scoreUpdates(zeros, steadyHistory(20), spec());
    for (const a of scored) expect(allFinite(a), JSON.stringify(a)).to.equal(true);
    expect(JSON.parse(JSON.stringify(scored))).to.deep.equal(scored);
  });

  it("agrees with a naive two-pass computation on a larger model", () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1_103_515_245 + 12_345) >>> 0) / 2 ** 32 - 0.5) * 0.02;
    const n = 50_000;
    const start = Float32Array.from({ length: n }, rand);
    const updates = Array.from({ length: 5 }, (_, k) =>
      Float32Array.from(start, (v) => v + rand() * (k === 4 ? -10 : 1)),
    );
    const mean = new Float64Array(n);
    for (const u of updates) {
      let sq = 0;
      for (let j = 0; j < n; j++) sq += (u[j]! - start[j]!) ** 2;
      for (let j = 0; j < n; j++) mean[j]! += (u[j]! - start[j]!) / Math.sqrt(sq) / 5;
    }
    const got = measureUpdates(start, updates);
    updates.forEach((u, i) => {
      let sq = 0;
      let dot = 0;
      let mm = 0;
      for (let j = 0; j < n; j++) {
        const d = u[j]! - start[j]!;
        sq += d * d;
        dot += d * mean[j]!;
        mm += mean[j]! * mean[j]!;
      }
      expect(got[i]!.norm).to.be.near(Math.sqrt(sq), 1e-9);
      expect(got[i]!.cosine).to.be.near(dot / Math.sqrt(sq * mm), 1e-9);
    });
  });

  it("scores nothing before the history holds minHistory values", () => {
    const measures = [
      { norm: 1, cosine: 0.8 },
      { norm: 50, cosine: -0.9 },
      { norm: 1.1, cosine: 0.8 },
    ];
    for (const a of scoreUpdates(measures, steadyHistory(9), spec({ minHistory: 10 }))) {
      expect(a.normZ).to.equal(null);
      expect(a.cosineZ).to.equal(null);
      expect(a.flagged).to.equal(false);
    }
    for (const a of scoreUpdates(measures, EMPTY_HISTORY, spec({ minHistory: 3 })))
      expect(a.flagged).to.equal(false);
    const ready = scoreUpdates(measures, steadyHistory(10), spec({ minHistory: 10 }));
    expect(ready.map((a) => a.flagged)).to.deep.equal([false, true, false]);
  });

  it("flags a boosted, a near-zero and an opposed update, never a high cosine; excludes only when asked", () => {
    // Round medians: norm 2, cosine distance 0.2. Relative norms 1, 10, 0.01, 1, 1.1, 1, 1, 1;
    // relative cosines 1 - (1 - cosine) / 0.2: 0, 0, 0, -6.5, +0.95, 0, 0, 0.
    const typical = { norm: 2, cosine: 0.8 };
    const measures = [
      typical,
      { norm: 20, cosine: 0.8 }, // boosted x10
      { norm: 0.02, cosine: 0.8 }, // sent back (almost) the start model
      { norm: 2, cosine: -0.5 }, // opposed to the round's mean
      { norm: 2.2, cosine: 0.99 }, // unusually aligned: not suspicious
      typical,
      typical,
      typical,
    ];
    const history = steadyHistory(20);
    // History: relative norms median 1, MAD 0.05; relative cosines median 0, MAD 0.025.
    const s = robustStats(history.relativeNorms);
    expect(s.median).to.equal(1);
    expect(s.scale).to.be.near(1.4826 * 0.05, 1e-12);
    const flagged = scoreUpdates(measures, history, spec());
    const expected = [false, true, true, true, false, false, false, false];
    expect(flagged.map((a) => a.flagged)).to.deep.equal(expected);
    expect(flagged.every((a) => !a.excluded)).to.equal(true);
    expect(flagged[0]).to.deep.equal({
      ...typical,
      normZ: 0,
      cosineZ: 0,
      flagged: false,
      excluded: false,
    });
    expect(flagged[1]!.normZ).to.be.near(9 / (1.4826 * 0.05), 1e-9);
    expect(flagged[2]!.normZ).to.be.near(-0.99 / (1.4826 * 0.05), 1e-9);
    expect(flagged[3]!.cosineZ).to.be.near(-6.5 / (1.4826 * 0.025), 1e-9);
    expect(flagged[4]!.cosineZ!).to.be.greaterThan(3.5);
    expect(anomalyReason(flagged[1]!, 3.5)).to.equal(
      `anomalous update: norm z=+${(9 / (1.4826 * 0.05)).toFixed(1)} (threshold 3.5)`,
    );
    expect(anomalyReason(flagged[3]!, 3.5)).to.match(
      /^anomalous update: cosine z=-\d+\.\d \(threshold 3\.5\)$/,
    );
    const excluded = scoreUpdates(measures, history, spec({ exclude: true }));
    expect(excluded.map((a) => a.excluded)).to.deep.equal(expected);
    // A higher threshold flags less.
    expect(
      scoreUpdates(measures, history, spec({ threshold: 100 })).map((a) => a.flagged),
    ).to.deep.equal([false, true, false, true, false, false, false, false]);
    // Most of a round flagged (3 of 5): the population moved; flagged, but nobody excluded.
    const moved = scoreUpdates(measures.slice(0, 5), history, spec({ exclude: true }));
    expect(moved.map((a) => a.flagged)).to.deep.equal([false, true, true, true, false]);
    expect(moved.some((a) => a.excluded)).to.equal(false);
  });

  it("appends a round's unflagged values after scoring it; all of them when most were flagged; keeps a window", () => {
    const one = (norm: number, cosine: number, flagged: boolean) => ({ norm, cosine, flagged });
    expect(relativeNorms([1, 2, 4])).to.deep.equal([0.5, 1, 2]);
    expect(relativeNorms([0, 0, 3])).to.deep.equal([1, 1, 1]);
    const round1 = [one(2, 0.75, false), one(20, 0.25, true), one(4, 0.5, false)];
    const h1 = extendHistory(EMPTY_HISTORY, round1, spec());
    // Round medians: norm 4, cosine distance 0.5; the flagged update left out.
    expect(h1).to.deep.equal({ relativeNorms: [0.5, 1], relativeCosines: [0.5, 0] });
    // Two of three flagged: the population moved, all join.
    const round2 = [one(1, 0.5, true), one(1, 0.25, true), one(2, 0.75, false)];
    const h2 = extendHistory(h1, round2, spec());
    expect(h2.relativeNorms).to.deep.equal([0.5, 1, 1, 1, 2]);
    expect(h2.relativeCosines).to.deep.equal([0.5, 0, 0, -0.5, 0.5]);
    // The window: max(minHistory, 100) most recent values (30 rounds of 4: the first 5 rounds go).
    let h: AnomalyHistory = EMPTY_HISTORY;
    for (let r = 0; r < 30; r++) {
      const round = [
        one(1, 0.5, false),
        one(1, 0.5, false),
        one(1, 0.5, false),
        one(1 + r, 0.5, false),
      ];
      h = extendHistory(h, round, spec());
    }
    expect(h.relativeNorms).to.have.length(100);
    expect(h.relativeCosines).to.have.length(100);
    expect(h.relativeNorms[3]).to.equal(6);
    expect(h.relativeNorms.at(-1)).to.equal(30);
    expect(extendHistory(h, [], spec())).to.equal(h);
    // The replay from round records (in any order, updates without scores skipped) is the same.
    const rec = (r: ReturnType<typeof one>) => ({ anomaly: scored(r.norm, r.cosine, r.flagged) });
    const rounds = [
      { round: 2, updates: round2.map(rec) },
      { round: 1, updates: [rec(round1[0]!), {}, rec(round1[1]!), rec(round1[2]!)] },
    ];
    expect(historyFromRounds(rounds, spec())).to.deep.equal(h2);
  });

  it("measures a CNN-sized round (1.66M parameters x 10 updates) in one pass", () => {
    const n = 1_663_370;
    const start = new Float32Array(n).fill(0.01);
    const updates = Array.from({ length: 10 }, (_, k) =>
      start.map((v, j) => v + ((j * (k + 1)) % 7) * 1e-3),
    );
    const t0 = performance.now();
    const m = measureUpdates(start, updates);
    const ms = performance.now() - t0;
    console.log(`      measured 10 x ${n} parameters in ${ms.toFixed(0)} ms`);
    expect(m).to.have.length(10);
    expect(ms).to.be.lessThan(3000);
  });
});

describe("contributions store the anomaly screening", () => {
  const pgUrl = process.env.TEST_DATABASE_URL;
  const dialects: [string, () => Promise<SqlDatabase>][] = [
    ["sqlite", async () => new SqliteDatabase(path.join(tempDir("fl-anomaly-store-"), "s.sqlite"))],
  ];
  if (pgUrl)
    dialects.push([
      "postgres",
      async () => {
        const db = new PostgresDatabase(pgUrl);
        await db.executeScript("DROP SCHEMA public CASCADE; CREATE SCHEMA public;");
        return db;
      },
    ]);
  for (const [name, open] of dialects) {
    it(`writes contributions.anomaly as JSON and reads it back, null when absent (${name})`, async () => {
      const db = await open();
      try {
        await migrate(db);
        await db.execute(
          "INSERT INTO runs (id, name, config, status, created_at, updated_at) VALUES ('r', 'n', '{}', 'completed', 0, 0)",
        );
        const row = (nodeId: string, anomaly?: UpdateAnomaly | null): ContributionRecord => ({
          runId: "r",
          round: 1,
          nodeId,
          wallet: "0x0000000000000000000000000000000000000001",
          samples: 1,
          lossBefore: 1,
          lossAfter: 0.5,
          score: 0.5,
          rewardWei: "1",
          updateHash: "0x00",
          txHash: null,
          ...(anomaly === undefined ? {} : { anomaly }),
        });
        const flagged: UpdateAnomaly = {
          norm: 12.5,
          cosine: 0.25,
          normZ: 7.3125,
          cosineZ: -0.5,
          flagged: true,
          excluded: false,
        };
        await contributionsRepo.insertMany(db, [
          row("a", flagged),
          row("b", scored(1, 0.9, false)),
          row("c", null),
          row("d"),
        ]);
        const back = await contributionsRepo.find(db, { run: "r", limit: 10 });
        expect(back.map((c) => c.anomaly)).to.deep.equal([
          flagged,
          scored(1, 0.9, false),
          null,
          null,
        ]);
      } finally {
        await db.close();
      }
    });
  }
});

function scored(norm: number, cosine: number, flagged: boolean): UpdateAnomaly {
  return { norm, cosine, normZ: null, cosineZ: null, flagged, excluded: false };
}

/**
 * 10 IID nodes of 300 MNIST images, softmax regression, every node every round, 2 of them boosting
 * their deltas x10 (the model-replacement scaling), under plain FedAvg, which excludes nobody.
 */
const base: CreateRunRequest = {
  dataset: "mnist",
  trainLimit: 3000,
  model: "logreg",
  partition: { kind: "iid" },
  numNodes: 10,
  fraction: 1,
  rounds: 8,
  localEpochs: 1,
  batchSize: 20,
  learningRate: 0.3,
  strategy: { name: "fedavg" },
  reward: { policy: "loss-improvement", poolPerRound: "100" },
  byzantine: { fraction: 0.2, attack: "scale", scale: 10 },
  anomaly: { threshold: 3.5, minHistory: 10, exclude: false },
  seed: 5,
};

/**
 * Replays the screening from the round records alone: each round's z-scores against the history
 * of the rounds before it. Equal to what was recorded when the history the rounds used is the one
 * the records imply, across a restart too.
 */
function replayedScores(rounds: readonly RoundRecord[], s: AnomalySpec): UpdateAnomaly[][] {
  return rounds.map((r, i) => {
    const history = historyFromRounds(rounds.slice(0, i), s);
    const screened = r.updates.filter((u) => u.anomaly);
    return scoreUpdates(
      screened.map((u) => ({ norm: u.anomaly!.norm, cosine: u.anomaly!.cosine })),
      history,
      s,
    );
  });
}

describe("anomaly screening in federated runs on MNIST, on a real chain", function () {
  this.timeout(600_000);
  let chain: LocalChain;
  let coord: Coordinator;
  let server: TestServer;
  let env: Record<string, string>;

  before(async () => {
    ({ chain, coord, server, env } = await startCoordinatorStack({
      dataDirPrefix: "fl-anomaly-",
      workers: 2,
    }));
  });

  after(async () => {
    await server?.close();
    await coord?.close();
    await chain?.stop();
  });

  async function start(req: CreateRunRequest): Promise<string> {
    const created = await api<RunSummary>(server.url, "POST", "/api/runs", req);
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    return created.body.id;
  }

  async function attackers(runId: string): Promise<Set<string>> {
    const nodes = await api<{ nodeId: string; byzantine: boolean }[]>(
      server.url,
      "GET",
      `/api/runs/${runId}/nodes`,
    );
    const set = new Set(nodes.body.filter((n) => n.byzantine).map((n) => n.nodeId));
    expect(set.size).to.equal(2);
    return set;
  }

  it("flags the boosted updates under FedAvg after minHistory, honest ones rarely (and in a clean run), and shows the scores in the contributions", async () => {
    // The same run without attackers alongside: the honest false-positive rate on a clean model.
    const { byzantine: _none, ...clean } = base;
    const [id, cleanId] = await Promise.all([start(base), start(clean)]);
    const [{ rounds }, cleanRun] = await Promise.all([
      finishedRun(server.url, id),
      finishedRun(server.url, cleanId),
    ]);
    const cleanScored = cleanRun.rounds.slice(1).flatMap((r) => r.updates);
    const cleanFlagged = cleanScored.filter((u) => u.anomaly!.flagged).length;
    console.log(
      `      clean run: flagged ${cleanFlagged}/${cleanScored.length} (${((100 * cleanFlagged) / cleanScored.length).toFixed(1)}%), final accuracy ${(cleanRun.rounds.at(-1)!.testAccuracy! * 100).toFixed(2)}%`,
    );
    expect(cleanFlagged / cleanScored.length).to.be.at.most(0.1);
    const byzantine = await attackers(id);
    expect(rounds).to.have.length(base.rounds);

    // Round 1 builds the history (10 values = minHistory): nothing scored, nothing flagged.
    for (const u of rounds[0]!.updates) {
      expect(u.anomaly, u.nodeId).to.not.equal(undefined);
      expect(u.anomaly!.normZ).to.equal(null);
      expect(u.anomaly!.flagged).to.equal(false);
    }
    let honest = 0;
    let honestFlagged = 0;
    for (const r of rounds.slice(1)) {
      for (const u of r.updates) {
        const a = u.anomaly!;
        expect(allFinite(a), JSON.stringify(a)).to.equal(true);
        // FedAvg aggregates everyone: flagging does not exclude without anomaly.exclude.
        expect(u.accepted, u.reason).to.equal(true);
        expect(a.excluded).to.equal(false);
        if (byzantine.has(u.nodeId)) {
          expect(a.flagged, `${u.nodeId} round ${r.round}: ${JSON.stringify(a)}`).to.equal(true);
          expect(a.normZ!).to.be.greaterThan(base.anomaly!.threshold!);
        } else {
          honest += 1;
          if (a.flagged) honestFlagged += 1;
        }
      }
    }
    console.log(
      `      FedAvg attacked: attackers flagged in ${2 * (rounds.length - 1)}/${2 * (rounds.length - 1)} scored updates, final accuracy ${(rounds.at(-1)!.testAccuracy! * 100).toFixed(2)}%; honest flagged ${honestFlagged}/${honest} (${((100 * honestFlagged) / honest).toFixed(1)}%)`,
    );
    expect(honestFlagged / honest).to.be.at.most(0.1);
    // The recorded scores are what the records' own history gives (the history rule holds).
    const replay = replayedScores(rounds, base.anomaly as AnomalySpec);
    rounds.forEach((r, i) => {
      const recorded = r.updates.filter((u) => u.anomaly).map((u) => u.anomaly);
      expect(recorded, `round ${r.round}`).to.deep.equal(replay[i]);
    });

    // Flagged but kept: paid by the policy as before, and their contribution rows carry the flag.
    const contributions = await api<ContributionRecord[]>(
      server.url,
      "GET",
      `/api/contributions?run=${id}`,
    );
    expect(contributions.status).to.equal(200);
    expect(contributions.body).to.have.length(10 * base.rounds);
    for (const c of contributions.body) {
      const u = rounds[c.round - 1]!.updates.find((x) => x.nodeId === c.nodeId)!;
      expect(c.anomaly, `${c.nodeId} round ${c.round}`).to.deep.equal(u.anomaly);
    }
    const flaggedRows = contributions.body.filter((c) => c.anomaly?.flagged);
    expect(flaggedRows.filter((c) => byzantine.has(c.nodeId))).to.have.length(
      2 * (base.rounds - 1),
    );
    // ?flagged=true returns exactly those rows (the Ledger page reads it).
    const onlyFlagged = await api<ContributionRecord[]>(
      server.url,
      "GET",
      `/api/contributions?run=${id}&flagged=true`,
    );
    expect(onlyFlagged.body.map((c) => `${c.round}:${c.nodeId}`)).to.deep.equal(
      flaggedRows.map((c) => `${c.round}:${c.nodeId}`),
    );
    // Each attacker has one update-anomaly alert, raised once and cleared when the run ended.
    const alerts = (
      await api<{ alerts: Alert[] }>(server.url, "GET", `/api/alerts?run=${id}&status=all`)
    ).body.alerts.filter((a) => a.kind === "update-anomaly");
    for (const node of byzantine) {
      const mine = alerts.filter((a) => a.nodeId === node);
      expect(mine, `${node}'s alerts`).to.have.length(1);
      expect(mine[0]!.clearedAt, "cleared at the run's end").to.be.a("number");
      expect(mine[0]!.message).to.match(/outlier against the run's history: norm z \+\d/);
    }
  });

  it("screens nothing under secure aggregation: the coordinator never holds an update", async () => {
    const { byzantine: _none, ...clean } = base;
    const id = await start({
      ...clean,
      rounds: 3,
      aggregation: { mode: "secure", clipRange: 1 },
      reward: { policy: "aggregate-loss", poolPerRound: "100" },
      anomaly: { threshold: 3.5, minHistory: 3, exclude: true },
    });
    const { rounds } = await finishedRun(server.url, id);
    for (const r of rounds) {
      expect(r.aggregation).to.equal("secure");
      for (const u of r.updates) {
        expect(u.accepted).to.equal(true);
        expect(u.anomaly).to.equal(undefined);
      }
    }
    const contributions = (
      await api<ContributionRecord[]>(server.url, "GET", `/api/contributions?run=${id}`)
    ).body;
    expect(contributions).to.have.length(30);
    for (const c of contributions) expect(c.anomaly).to.equal(null);
  });

  it("with exclude, rejects the flagged updates with the reason, pays them nothing, records no contribution, and keeps the history across a restart", async () => {
    const rounds = 10;
    const anomaly = { threshold: 3.5, minHistory: 10, exclude: true };
    const id = await start({ ...base, rounds, anomaly, seed: 6 });
    await until("three completed rounds", async () => {
      const r = await api<RunSummary>(server.url, "GET", `/api/runs/${id}`);
      return r.body.completedRounds >= 3;
    });
    // Restart: a new coordinator on the same store and chain resumes the run.
    await server.close();
    await coord.close();
    coord = await startCoordinator(env);
    server = await listen(coord.app);
    const { rounds: records } = await finishedRun(server.url, id);
    const byzantine = await attackers(id);
    expect(records.map((r) => r.round)).to.deep.equal(
      Array.from({ length: rounds }, (_, i) => i + 1),
    );

    const contributions = (
      await api<ContributionRecord[]>(server.url, "GET", `/api/contributions?run=${id}`)
    ).body;
    const row = (round: number, nodeId: string) =>
      contributions.find((c) => c.round === round && c.nodeId === nodeId);
    let excluded = 0;
    let honest = 0;
    let honestFlagged = 0;
    for (const r of records.slice(1)) {
      for (const u of r.updates) {
        // Scored in every round after the first, the rounds after the restart included: the
        // resumed run rebuilt its history from the records (an empty one would score nothing).
        expect(u.anomaly?.normZ, `${u.nodeId} round ${r.round}`).to.be.a("number");
        if (!byzantine.has(u.nodeId)) {
          honest += 1;
          if (u.anomaly!.flagged) honestFlagged += 1;
          continue;
        }
        excluded += 1;
        expect(u.accepted).to.equal(false);
        expect(u.anomaly!.flagged).to.equal(true);
        expect(u.anomaly!.excluded).to.equal(true);
        expect(u.reason).to.match(
          /^anomalous update: norm z=\+\d+\.\d(, cosine z=-\d+\.\d)? \(threshold 3\.5\)$/,
        );
        expect(u.reward ?? "0").to.equal("0");
        expect(row(r.round, u.nodeId), `contribution of ${u.nodeId} in round ${r.round}`).to.equal(
          undefined,
        );
      }
    }
    expect(excluded).to.equal(2 * (rounds - 1));
    // Round 1 had no history: the attackers were aggregated and scored like everyone.
    for (const u of records[0]!.updates) expect(u.accepted).to.equal(true);
    // Every kept update has its contribution row with its scores.
    const kept = records.flatMap((r) => r.updates.filter((u) => u.accepted));
    expect(contributions).to.have.length(kept.length);
    for (const r of records)
      for (const u of r.updates.filter((x) => x.accepted))
        expect(row(r.round, u.nodeId)?.anomaly).to.deep.equal(u.anomaly);
    const replay = replayedScores(records, anomaly);
    records.forEach((r, i) => {
      const recorded = r.updates.filter((u) => u.anomaly).map((u) => u.anomaly);
      expect(recorded, `round ${r.round}`).to.deep.equal(replay[i]);
    });
    console.log(
      `      exclude: final accuracy ${(records.at(-1)!.testAccuracy! * 100).toFixed(2)}%, ${excluded}/${excluded} attacker updates excluded; honest flagged ${honestFlagged}/${honest} (${((100 * honestFlagged) / honest).toFixed(1)}%)`,
    );
    expect(honestFlagged / honest).to.be.at.most(0.1);
    const stdout = await runAudit(env, ["--run", id]);
    expect(stdout).to.contain("verdict: PASS");
  });
});
