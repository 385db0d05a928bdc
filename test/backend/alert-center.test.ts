// The alert machinery without a chain: the rules evaluated on round records, the center's
// raise-once / clear / acknowledge on both store dialects (with the deliveries it queues in the
// same transaction), and the webhook sender's retries, backoff and giving up.
import { expect } from "chai";
import path from "node:path";
import { AlertCenter } from "../../backend/src/alerts/alert-center.js";
import {
  emptyRoundAlertState,
  foldRound,
  holdAcrossRounds,
  roundConditions,
} from "../../backend/src/alerts/round-alert-rules.js";
import { SystemMonitor } from "../../backend/src/alerts/system-monitor.js";
import { parseWebhookTargets } from "../../backend/src/alerts/webhook-payload.js";
import { WebhookSender } from "../../backend/src/alerts/webhook-sender.js";
import { loadConfig } from "../../backend/src/config.js";
import {
  DEFAULT_ALERT_RULES,
  type RoundRecord,
  type UpdateOutcome,
} from "../../backend/src/domain/index.js";
import { RunEvents } from "../../backend/src/events/run-events.js";
import { migrate } from "../../backend/src/store/migrations.js";
import { PostgresDatabase } from "../../backend/src/store/postgres-database.js";
import { alertDeliveriesRepo } from "../../backend/src/store/repos/alert-deliveries-repo.js";
import { alertsRepo } from "../../backend/src/store/repos/alerts-repo.js";
import type { SqlDatabase } from "../../backend/src/store/sql-database.js";
import { SqliteDatabase } from "../../backend/src/store/sqlite-database.js";
import { tempDir } from "../helpers/temp-dir.js";
import { until } from "../helpers/until.js";
import { startWebhookReceiver } from "../helpers/webhook-receiver.js";

const update = (nodeId: string, accepted: boolean, extra: Partial<UpdateOutcome> = {}) =>
  ({
    nodeId,
    wallet: "0x0",
    accepted,
    ...(accepted ? {} : { reason: "bad signature" }),
    samples: 10,
    reportedTrainLoss: null,
    updateHash: "0x",
    ...extra,
  }) satisfies UpdateOutcome;

const round = (
  n: number,
  accuracy: number,
  loss: number | null,
  updates: UpdateOutcome[],
): RoundRecord => ({
  runId: "run-x",
  round: n,
  status: "aggregated",
  startedAt: 0,
  finishedAt: 1,
  durationMs: 1,
  testLoss: loss,
  testAccuracy: accuracy,
  validationLossBefore: n === 1 ? 2.3 : 1,
  validationLossAfter: 1,
  participants: updates.map((u) => u.nodeId),
  updates,
  modelHash: null,
  txHash: null,
});

describe("alert rules", () => {
  const kinds = (rs: RoundRecord[], rules = DEFAULT_ALERT_RULES) => {
    const s = emptyRoundAlertState();
    for (const r of rs) foldRound(s, r);
    return roundConditions("run-x", rules, s, undefined).map((c) => `${c.kind}:${c.nodeId ?? ""}`);
  };
  const ok = ["a", "b", "c", "d"].map((n) => update(n, true));

  it("a healthy run holds no condition", () => {
    expect(kinds([round(1, 0.8, 0.6, ok), round(2, 0.85, 0.5, ok)])).to.deep.equal([]);
  });

  it("accuracy more than 10 points below the best, until it is back", () => {
    const rs = [round(1, 0.9, 0.3, ok), round(2, 0.7, 0.6, ok)];
    expect(kinds(rs)).to.deep.equal(["accuracy-drop:"]);
    expect(kinds([...rs, round(3, 0.85, 0.4, ok)])).to.deep.equal([]);
    expect(kinds(rs, { ...DEFAULT_ALERT_RULES, accuracyDropPoints: null })).to.deep.equal([]);
  });

  it("a loss that is not a number, or more than 3x the lowest (the start model's included)", () => {
    expect(kinds([round(1, 0.1, null, ok)])).to.deep.equal(["loss-diverging:"]);
    expect(kinds([round(1, 0.1, 7.5, ok)])).to.deep.equal(["loss-diverging:"]); // start 2.3
    expect(kinds([round(1, 0.5, 6.5, ok)])).to.deep.equal([]);
  });

  it("more than half the chosen nodes failed; a node rejected three rounds in a row", () => {
    const bad = [update("a", false), update("b", false), update("c", false), update("d", true)];
    expect(kinds([round(1, 0.8, 0.5, bad)])).to.deep.equal(["nodes-failing:"]);
    const aBad = [update("a", false), ...ok.slice(1)];
    const three = [round(1, 0.8, 0.5, aBad), round(2, 0.8, 0.5, aBad), round(3, 0.8, 0.5, aBad)];
    expect(kinds(three)).to.deep.equal(["node-rejected:a"]);
    expect(kinds(three.slice(0, 2))).to.deep.equal([]);
    // Rounds it was not chosen in do not break the streak; an accepted update does.
    const without = round(4, 0.8, 0.5, ok.slice(1));
    expect(kinds([...three, without])).to.deep.equal(["node-rejected:a"]);
    expect(kinds([...three, without, round(5, 0.8, 0.5, ok)])).to.deep.equal([]);
  });

  it("valid updates a robust rule left out are not failures (Krum keeps 1 of 5 by design)", () => {
    const krum = [
      update("a", true),
      ...["b", "c", "d", "e"].map((n) =>
        update(n, false, { reason: "krum: not selected", filteredOut: true }),
      ),
    ];
    const rs = [1, 2, 3].map((n) => round(n, 0.8, 0.5, krum));
    expect(kinds(rs)).to.deep.equal([]);
  });

  it("an anomalous update, per node, until its next screened update is not", () => {
    const anomaly = (flagged: boolean) => ({
      anomaly: {
        norm: 1,
        cosine: 0.9,
        normZ: flagged ? 9 : 0.1,
        cosineZ: 0,
        flagged,
        excluded: false,
      },
    });
    const flagged = [update("a", true, anomaly(true)), update("b", true, anomaly(false))];
    expect(kinds([round(1, 0.8, 0.5, flagged)])).to.deep.equal(["update-anomaly:a"]);
    const later = round(2, 0.8, 0.5, [update("b", true, anomaly(false))]);
    expect(kinds([round(1, 0.8, 0.5, flagged), later])).to.deep.equal(["update-anomaly:a"]);
    const clean = round(3, 0.8, 0.5, [update("a", true, anomaly(false))]);
    expect(kinds([round(1, 0.8, 0.5, flagged), later, clean])).to.deep.equal([]);
    const off = { ...DEFAULT_ALERT_RULES, anomalousUpdates: false };
    expect(kinds([round(1, 0.8, 0.5, flagged)], off)).to.deep.equal([]);
  });

  it("a condition that comes and goes stays one alert until it has been quiet for clearAfterRounds", () => {
    const s = emptyRoundAlertState();
    const aBad = [update("a", false), update("b", false), update("c", false), update("d", true)];
    const seq = [aBad, ok, aBad, ok, ok, ok].map((u, i) => round(i + 1, 0.8, 0.5, u));
    const held = seq.map((r) => {
      foldRound(s, r);
      const now = roundConditions("run-x", DEFAULT_ALERT_RULES, s, undefined);
      return holdAcrossRounds(s, now, 3).map((c) => c.kind);
    });
    expect(held).to.deep.equal([
      ["nodes-failing"],
      ["nodes-failing"],
      ["nodes-failing"],
      ["nodes-failing"],
      ["nodes-failing"],
      [],
    ]);
  });

  it("the privacy budget at 90% of maxEpsilon", () => {
    const s = emptyRoundAlertState();
    const r = round(1, 0.8, 0.5, ok);
    foldRound(s, {
      ...r,
      privacy: {
        clipNorm: 1,
        noiseMultiplier: 1,
        aggregateNoiseMultiplier: 1,
        unclippedFraction: 1,
        epsilon: 4.6,
        coordinatorEpsilon: null,
      },
    });
    expect(roundConditions("run-x", DEFAULT_ALERT_RULES, s, 5).map((c) => c.kind)).to.deep.equal([
      "privacy-budget",
    ]);
    expect(roundConditions("run-x", DEFAULT_ALERT_RULES, s, 6)).to.deep.equal([]);
  });
});

const pgUrl = process.env.TEST_DATABASE_URL;
const dialects: { name: string; open: () => Promise<SqlDatabase> }[] = [
  {
    name: "sqlite",
    open: async () => new SqliteDatabase(path.join(tempDir("fl-alerts-"), "s.sqlite")),
  },
];
if (pgUrl) {
  dialects.push({
    name: "postgres",
    open: async () => {
      const db = new PostgresDatabase(pgUrl);
      await db.executeScript("DROP SCHEMA public CASCADE; CREATE SCHEMA public;");
      return db;
    },
  });
}

const cond = (key: string) => ({
  key,
  kind: "nodes-failing" as const,
  severity: "warning" as const,
  runId: "run-x",
  nodeId: null,
  message: `condition ${key}`,
  action: "do something",
});

for (const d of dialects) {
  describe(`alert center (${d.name})`, () => {
    let db: SqlDatabase;
    let center: AlertCenter;
    const targets = parseWebhookTargets("http://127.0.0.1:9/hook,slack:http://127.0.0.1:9/s");
    beforeEach(async () => {
      db = await d.open();
      await migrate(db);
      center = new AlertCenter(db, new RunEvents(db), { webhooks: targets });
    });
    afterEach(async () => {
      await center.settled();
      await db.close();
    });

    it("raises once while the condition holds, clears it when it ends, raises anew after", async () => {
      const told: string[] = [];
      center.subscribe((change, a) => told.push(`${change}:${a.message}`));
      await Promise.all([
        center.sync("run:run-x:", [cond("run:run-x:a")]),
        center.sync("run:run-x:", [cond("run:run-x:a")]),
        center.raise(cond("run:run-x:a")),
      ]);
      // A scope that only looks like a prefix of another run's keys clears nothing of it.
      await center.sync("run:run-x2:", []);
      let all = await alertsRepo.list(db, { status: "all", limit: 10 });
      expect(all.map((a) => a.clearedAt)).to.deep.equal([null]);
      await center.sync("run:run-x:", []);
      await center.sync("run:run-x:", [cond("run:run-x:a")]);
      all = await alertsRepo.list(db, { status: "all", limit: 10 });
      expect(all).to.have.length(2);
      expect(all[1]!.clearedAt).to.be.a("number");
      expect(told).to.deep.equal([
        "raised:condition run:run-x:a",
        "cleared:condition run:run-x:a",
        "raised:condition run:run-x:a",
      ]);
      expect(await alertsRepo.counts(db)).to.deep.equal({ active: 1, unacknowledged: 1 });
      // Each change was queued for both webhooks, in the change's own transaction.
      const deliveries = await alertDeliveriesRepo.forAlert(db, all[1]!.id);
      expect(deliveries.map((x) => `${x.change}:${x.target.split(":")[0]}`)).to.deep.equal([
        "raised:json",
        "raised:slack",
        "cleared:json",
        "cleared:slack",
      ]);
      const stored = (await new RunEvents(db).history("run-x")).filter((e) => e.type === "alert");
      expect(stored).to.have.length(3);
    });

    it("acknowledges once; an unknown id is undefined", async () => {
      await center.raise(cond("run:run-x:b"));
      const [a] = await alertsRepo.list(db, { status: "active", limit: 10 });
      const first = await center.acknowledge(a!.id);
      const second = await center.acknowledge(a!.id);
      expect(first!.acknowledgedAt).to.be.a("number");
      expect(second!.acknowledgedAt).to.equal(first!.acknowledgedAt);
      expect(await center.acknowledge(987654)).to.equal(undefined);
      expect(await alertsRepo.counts(db)).to.deep.equal({ active: 1, unacknowledged: 0 });
    });
  });
}

describe("coordinator-wide checks", () => {
  it("raises disk-nearly-full below the free-space rule and clears it above; chain-unreachable after its delay", async () => {
    const dir = tempDir("fl-alerts-");
    const db = new SqliteDatabase(path.join(dir, "s.sqlite"));
    await migrate(db);
    const center = new AlertCenter(db, new RunEvents(db), { webhooks: [] });
    let chain = {
      reachable: false,
      rpcUrl: "http://127.0.0.1:1",
      error: "refused",
      checkedAt: 1,
      ageMs: 0,
    };
    const opts = { intervalMs: 1000, chainUnreachableMs: 0, diskFreePercent: 100, dataDir: dir };
    const active = async () =>
      (await alertsRepo.list(db, { status: "active", limit: 10 })).map((a) => a.kind).sort();
    // Every disk has less than 100% free.
    await new SystemMonitor(db, center, () => chain, opts).check();
    expect(await active()).to.deep.equal(["chain-unreachable", "disk-nearly-full"]);
    chain = { ...chain, reachable: true, checkedAt: Date.now() };
    await new SystemMonitor(db, center, () => chain, { ...opts, diskFreePercent: 0 }).check();
    expect(await active()).to.deep.equal([]);
    const all = await alertsRepo.list(db, { status: "all", limit: 10 });
    expect(all.find((a) => a.kind === "disk-nearly-full")!.message).to.match(/% free \(/);
    await db.close();
  });
});

describe("webhook sender", () => {
  let db: SqlDatabase;
  beforeEach(async () => {
    db = new SqliteDatabase(path.join(tempDir("fl-alerts-"), "s.sqlite"));
    await migrate(db);
  });
  afterEach(() => db.close());

  async function sendOne(failFirst: number, opts: { maxAttempts?: number; status?: number } = {}) {
    const receiver = await startWebhookReceiver(failFirst);
    const targets = parseWebhookTargets(`${receiver.url}/hook`);
    const center = new AlertCenter(db, new RunEvents(db), { webhooks: targets });
    await center.raise(cond("run:run-x:c"));
    const sender = new WebhookSender(db, targets, {
      pollMs: 20,
      baseDelayMs: 50,
      maxDelayMs: 200,
      maxAttempts: opts.maxAttempts ?? 10,
    });
    const t0 = Date.now();
    sender.start();
    const [d] = await until("the delivery settled", async () => {
      const done = (await alertDeliveriesRepo.counts(db)).pending === 0;
      return done && (await alertDeliveriesRepo.forAlert(db, 1));
    });
    await sender.stop();
    await receiver.close();
    return { d: d!, received: receiver.received, ms: Date.now() - t0 };
  }

  it("retries a refusing receiver with exponential backoff until it takes the alert", async () => {
    const { d, received, ms } = await sendOne(3);
    expect(d.status).to.equal("delivered");
    expect(d.attempts).to.equal(4);
    expect(received).to.have.length(1);
    expect((received[0]!.body as { alert: { message: string } }).alert.message).to.equal(
      "condition run:run-x:c",
    );
    // 50 + 100 + 200 ms of backoff at least.
    expect(ms).to.be.at.least(350);
  });

  it("gives up after maxAttempts, keeping the last error", async () => {
    const { d, received } = await sendOne(100, { maxAttempts: 3 });
    expect(d.status).to.equal("failed");
    expect(d.attempts).to.equal(3);
    expect(d.lastError).to.equal("HTTP 503");
    expect(received).to.have.length(0);
  });

  it("refuses webhook URLs that are not http(s), naming the variable", () => {
    expect(() => loadConfig({ ALERT_WEBHOOK_URLS: "ftp://example.org/x" })).to.throw(
      /ALERT_WEBHOOK_URLS: ftp:\/\/example.org\/… is not http\(s\)/,
    );
    expect(parseWebhookTargets("slack:https://hooks.slack.com/services/T/B/secret")[0]).to.include({
      format: "slack",
    });
  });
});
