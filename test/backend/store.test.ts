import { expect } from "chai";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { MIGRATIONS, migrate, schemaVersion } from "../../backend/src/store/migrations.js";
import { checkpointsRepo } from "../../backend/src/store/repos/checkpoints-repo.js";
import { contributionsRepo } from "../../backend/src/store/repos/contributions-repo.js";
import { outboxRepo } from "../../backend/src/store/repos/outbox-repo.js";
import { openDatabase, sqliteFile } from "../../backend/src/store/open-database.js";
import { archiveSqliteStore, bindStore } from "../../backend/src/store/deployment-binding.js";
import type { Deployment } from "../../backend/src/chain/deployment.js";
import { PostgresDatabase } from "../../backend/src/store/postgres-database.js";
import type { SqlDatabase } from "../../backend/src/store/sql-database.js";
import { SqliteDatabase } from "../../backend/src/store/sqlite-database.js";
import { tempDir } from "../helpers/temp-dir.js";

const pgUrl = process.env.TEST_DATABASE_URL;

async function resetPostgres(url: string): Promise<void> {
  const db = new PostgresDatabase(url);
  await db.executeScript("DROP SCHEMA public CASCADE; CREATE SCHEMA public;");
  await db.close();
}

const dialects: { name: string; open: () => Promise<SqlDatabase> }[] = [
  {
    name: "sqlite",
    open: async () => new SqliteDatabase(path.join(tempDir("fl-store-"), "s.sqlite")),
  },
];
if (pgUrl) {
  dialects.push({
    name: "postgres",
    open: async () => {
      await resetPostgres(pgUrl);
      return new PostgresDatabase(pgUrl);
    },
  });
}

describe("store", () => {
  if (!pgUrl) {
    it("PostgreSQL tests need TEST_DATABASE_URL (set by .ci/run)");
  }
  for (const d of dialects) {
    describe(d.name, () => {
      let db: SqlDatabase;
      beforeEach(async () => {
        db = await d.open();
      });
      afterEach(async () => {
        await db.close();
      });

      it("applies every migration once, and again is a no-op", async () => {
        const first = await migrate(db);
        expect(first).to.deep.equal(MIGRATIONS.map((m) => m.version));
        expect(await migrate(db)).to.deep.equal([]);
        expect(await schemaVersion(db)).to.equal(MIGRATIONS.at(-1)!.version);
      });

      it("round-trips rows, blobs and big numbers", async () => {
        await migrate(db);
        await db.execute(
          "INSERT INTO runs (id, name, config, status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)",
          ["r1", "first", "{}", "pending", Date.now(), Date.now()],
        );
        const weights = new Float32Array([1.5, -2.25, 3e-7]);
        await db.execute(
          "INSERT INTO checkpoints (run_id, round, model_hash, weights, saved_at) VALUES ($1, $2, $3, $4, $5)",
          ["r1", 3, "0xabc", new Uint8Array(weights.buffer), Date.now()],
        );
        const [row] = await db.query<{ weights: Uint8Array; round: number }>(
          "SELECT weights, round FROM checkpoints WHERE run_id = $1",
          ["r1"],
        );
        expect(row!.round).to.equal(3);
        const back = new Float32Array(row!.weights.slice().buffer);
        expect(Array.from(back)).to.deep.equal(Array.from(weights));
      });

      it("rolls a failed transaction back whole", async () => {
        await migrate(db);
        const insert =
          "INSERT INTO runs (id, name, config, status, created_at, updated_at) VALUES ($1, 'n', '{}', 'pending', 0, 0)";
        let caught: unknown;
        try {
          await db.transaction(async (tx) => {
            await tx.execute(insert, ["a"]);
            await tx.execute(insert, ["a"]); // primary key violation
          });
        } catch (err) {
          caught = err;
        }
        expect(caught).to.be.instanceOf(Error);
        expect(await db.query("SELECT id FROM runs")).to.have.length(0);
      });

      it("sends the outbox in enqueue order, even two items enqueued in one millisecond", async () => {
        await migrate(db);
        const realNow = Date.now;
        Date.now = () => 1_000;
        try {
          // By (created_at, id) the round would go first ("rec" < "reg") and wait for its run forever.
          await outboxRepo.enqueue(db, {
            id: "register-run:r",
            kind: "register-run",
            runId: "r",
            payload: {},
          });
          await outboxRepo.enqueue(db, {
            id: "record-round:r:1",
            kind: "record-round",
            runId: "r",
            round: 1,
            payload: {},
          });
          await outboxRepo.enqueue(db, {
            id: "register-run:r",
            kind: "register-run",
            runId: "r",
            payload: {},
          });
        } finally {
          Date.now = realNow;
        }
        expect((await outboxRepo.nextPending(db))?.id).to.equal("register-run:r");
        const items = await outboxRepo.forRun(db, "r");
        expect(items.map((i) => [i.id, i.seq])).to.deep.equal([
          ["register-run:r", 1],
          ["record-round:r:1", 2],
        ]);
        await outboxRepo.confirm(db, "register-run:r", null);
        expect((await outboxRepo.nextPending(db))?.id).to.equal("record-round:r:1");
      });

      it("numbers an older store's outbox rows in the order they used to be sent", async () => {
        await migrate(
          db,
          MIGRATIONS.filter((m) => m.version < 4),
        );
        const insert =
          "INSERT INTO outbox (id, kind, run_id, payload, status, next_attempt_at, created_at, updated_at) VALUES ($1, 'register-run', 'r', '{}', 'pending', 0, $2, 0)";
        for (const [id, at] of [
          ["c", 5],
          ["b", 7],
          ["a", 5],
        ] as const)
          await db.execute(insert, [id, at]);
        expect((await migrate(db))[0]).to.equal(4);
        await outboxRepo.enqueue(db, { id: "d", kind: "register-run", runId: "r", payload: {} });
        const items = await outboxRepo.forRun(db, "r");
        expect(items.map((i) => [i.id, i.seq])).to.deep.equal([
          ["a", 1],
          ["c", 2],
          ["b", 3],
          ["d", 4],
        ]);
      });

      it("keeps an older store's checkpoint weights; a checkpoint can name its artifact-store version instead", async () => {
        await migrate(
          db,
          MIGRATIONS.filter((m) => m.version < 9),
        );
        const now = Date.now();
        for (const id of ["old", "new"])
          await db.execute(
            "INSERT INTO runs (id, name, config, status, created_at, updated_at) VALUES ($1, $1, '{}', 'running', $2, $2)",
            [id, now],
          );
        const weights = new Float32Array([0.5, -1, 2]);
        await checkpointsRepo.save(db, "old", {
          round: 4,
          modelHash: "0xabc",
          weights,
          optimizerState: [new Float32Array([7])],
          privacyState: { spent: 1 },
        });
        expect((await migrate(db))[0]).to.equal(9);
        const old = await checkpointsRepo.load(db, "old");
        expect(Array.from(old!.weights!)).to.deep.equal(Array.from(weights));
        expect(Array.from(old!.optimizerState![0]!)).to.deep.equal([7]);
        expect(old!.privacyState).to.deep.equal({ spent: 1 });
        await checkpointsRepo.save(db, "new", {
          round: 2,
          modelHash: "0xdef",
          weights: null,
          optimizerState: null,
        });
        const fresh = await checkpointsRepo.load(db, "new");
        expect([fresh!.round, fresh!.modelHash, fresh!.weights]).to.deep.equal([2, "0xdef", null]);
      });

      it("sums a run's contributions exactly, past any page size", async () => {
        await migrate(db);
        // 1,200 contributions (more than the API's default page of 1,000), rewards above 2^64 wei.
        const reward = 10n ** 20n + 1n;
        const rows = (run: string, round: number) =>
          Array.from({ length: 100 }, (_, i) => ({
            runId: run,
            round,
            nodeId: `n-${i}`,
            wallet: "0x0000000000000000000000000000000000000001",
            samples: 1,
            lossBefore: 1,
            lossAfter: 0.5,
            score: 0.5,
            rewardWei: reward.toString(),
            updateHash: "0x00",
            txHash: null,
          }));
        await db.transaction(async (t) => {
          for (const id of ["r", "other"])
            await t.execute(
              "INSERT INTO runs (id, name, config, status, created_at, updated_at) VALUES ($1, 'n', '{}', 'completed', 0, 0)",
              [id],
            );
          for (let round = 1; round <= 12; round++)
            await contributionsRepo.insertMany(t, rows("r", round));
          await contributionsRepo.insertMany(t, rows("other", 1));
        });
        for (let round = 1; round <= 11; round++)
          await contributionsRepo.setTx(db, "r", round, `0x${round}`);
        expect(await contributionsRepo.totals(db, "r")).to.deep.equal({
          contributions: 1200,
          recorded: 1100,
          recordedWei: (1100n * reward).toString(),
          pendingWei: (100n * reward).toString(),
        });
        expect((await contributionsRepo.totals(db)).contributions).to.equal(1300);
      });

      it("keeps concurrent callers out of an open transaction", async () => {
        await migrate(db);
        const insert =
          "INSERT INTO runs (id, name, config, status, created_at, updated_at) VALUES ($1, 'n', '{}', 'pending', 0, 0)";
        const tx = db.transaction(async (t) => {
          await t.execute(insert, ["in-tx"]);
          await new Promise((r) => setTimeout(r, 20));
          throw new Error("abort");
        });
        const outside = db.execute(insert, ["outside"]);
        await Promise.allSettled([tx, outside]);
        const ids = (await db.query<{ id: string }>("SELECT id FROM runs ORDER BY id")).map(
          (r) => r.id,
        );
        expect(ids).to.deep.equal(["outside"]);
      });
    });
  }

  it("openDatabase gives a clear error for an unreachable PostgreSQL", async () => {
    let message = "";
    try {
      await openDatabase({
        databaseUrl: "postgres://nobody:secret@127.0.0.1:1/none",
        dataDir: tmpdir(),
      });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).to.match(/Could not open the store at postgres:/);
    expect(message).not.to.contain("secret");
  });

  it("SQLite commits: synchronous NORMAL by default (WAL), FULL when SQLITE_SYNCHRONOUS=full", async () => {
    for (const [setting, level] of [
      [undefined, 1],
      ["normal", 1],
      ["full", 2],
    ] as const) {
      const db = new SqliteDatabase(path.join(tempDir("fl-store-"), "s.sqlite"), setting);
      const [row] = await db.query<{ synchronous: number }>("PRAGMA synchronous");
      expect(Number(row!.synchronous), String(setting)).to.equal(level);
      await db.close();
    }
  });
});

describe("store bound to a contract deployment", () => {
  const deployment = (deployedAt: string): Deployment => ({
    chainId: 31337,
    network: "localhost",
    deployedAt,
    contracts: {
      RewardToken: { address: "0xa16E02E87b7454126E5E10d957A927A7F5B5d2be", deployBlock: 0 },
      ContributionLedger: {
        address: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
        deployBlock: 0,
      },
    },
  });

  it("binds a new store, accepts the same deployment, and archives the store of an old one", async () => {
    const dataDir = tempDir("fl-bind-");
    const first = deployment("2026-11-22T10:00:00.000Z");
    let db = await openDatabase({ dataDir });
    expect(await bindStore(db, first)).to.deep.equal({ kind: "bound" });
    await db.execute(
      "INSERT INTO runs (id, name, config, status, created_at, updated_at) VALUES ('r1', 'x', '{}', 'running', 0, 0)",
    );
    await db.close();

    db = await openDatabase({ dataDir });
    expect(await bindStore(db, first)).to.deep.equal({ kind: "bound" });
    const second = deployment("2026-11-22T11:00:00.000Z");
    const binding = await bindStore(db, second);
    expect(binding.kind).to.equal("mismatch");
    await db.close();

    const archived = archiveSqliteStore(
      sqliteFile(dataDir),
      binding.kind === "mismatch" ? binding.stored : "",
    );
    expect(existsSync(archived)).to.equal(true);
    expect(existsSync(sqliteFile(dataDir))).to.equal(false);
    // Nothing is lost: the archived store still holds the old run.
    const old = new SqliteDatabase(archived);
    expect(await old.query("SELECT id FROM runs")).to.deep.equal([{ id: "r1" }]);
    await old.close();
    const fresh = await openDatabase({ dataDir });
    expect(await bindStore(fresh, second)).to.deep.equal({ kind: "bound" });
    expect(await fresh.query("SELECT id FROM runs")).to.deep.equal([]);
    await fresh.close();
  });
});
