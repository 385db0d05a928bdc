import {
  UpdateAnomaly,
  type ContributionRecord,
  type ContributionTotals,
} from "../../domain/index.js";
import type { SqlExecutor } from "../sql-database.js";

interface Row {
  [k: string]: unknown;
  run_id: string;
  round: number;
  node_id: string;
  wallet: string;
  samples: number;
  loss_before: number;
  loss_after: number;
  score: number;
  reward: string;
  update_hash: string;
  tx_hash: string | null;
  /** The update's anomaly screening as JSON (migration 10; NULL: not screened). */
  anomaly?: string | null;
}

/** A stored anomaly column, read back (a value that does not parse reads as not screened). */
function anomalyOf(text: string | null | undefined): UpdateAnomaly | null {
  if (!text) return null;
  try {
    const parsed = UpdateAnomaly.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

const fromRow = (r: Row): ContributionRecord => ({
  runId: r.run_id,
  round: Number(r.round),
  nodeId: r.node_id,
  wallet: r.wallet,
  samples: Number(r.samples),
  lossBefore: r.loss_before,
  lossAfter: r.loss_after,
  score: r.score,
  rewardWei: r.reward,
  updateHash: r.update_hash,
  txHash: r.tx_hash,
  anomaly: anomalyOf(r.anomaly),
});

export const contributionsRepo = {
  async insertMany(db: SqlExecutor, items: ContributionRecord[]): Promise<void> {
    for (const c of items) {
      await db.execute(
        `INSERT INTO contributions (run_id, round, node_id, wallet, samples, loss_before, loss_after, score, reward, update_hash, anomaly)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [
          c.runId,
          c.round,
          c.nodeId,
          c.wallet,
          c.samples,
          c.lossBefore,
          c.lossAfter,
          c.score,
          c.rewardWei,
          c.updateHash,
          c.anomaly ? JSON.stringify(c.anomaly) : null,
        ],
      );
    }
  },
  async setTx(db: SqlExecutor, runId: string, round: number, txHash: string): Promise<void> {
    await db.execute("UPDATE contributions SET tx_hash = $3 WHERE run_id = $1 AND round = $2", [
      runId,
      round,
      txHash,
    ]);
  },
  async find(
    db: SqlExecutor,
    q: {
      run?: string | undefined;
      node?: string | undefined;
      flagged?: "true" | "false" | undefined;
      limit: number;
    },
  ): Promise<ContributionRecord[]> {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (q.run) {
      params.push(q.run);
      where.push(`run_id = $${params.length}`);
    }
    if (q.node) {
      params.push(q.node);
      where.push(`node_id = $${params.length}`);
    }
    // The anomaly column holds JSON.stringify(UpdateAnomaly): its flag is a fixed substring.
    if (q.flagged === "true") where.push(`anomaly LIKE '%"flagged":true%'`);
    if (q.flagged === "false")
      where.push(`(anomaly IS NULL OR anomaly NOT LIKE '%"flagged":true%')`);
    params.push(q.limit);
    const sql = `SELECT * FROM contributions ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY run_id, round, node_id LIMIT $${params.length}`;
    return (await db.query<Row>(sql, params)).map(fromRow);
  },
  /** Sums every stored contribution (of one run, or all): rewards are wei strings, summed exactly. */
  async totals(db: SqlExecutor, run?: string): Promise<ContributionTotals> {
    const rows = await db.query<{ reward: string; tx_hash: string | null }>(
      `SELECT reward, tx_hash FROM contributions${run ? " WHERE run_id = $1" : ""}`,
      run ? [run] : [],
    );
    let recorded = 0;
    let recordedWei = 0n;
    let pendingWei = 0n;
    for (const r of rows) {
      if (r.tx_hash) {
        recorded++;
        recordedWei += BigInt(r.reward);
      } else pendingWei += BigInt(r.reward);
    }
    return {
      contributions: rows.length,
      recorded,
      recordedWei: recordedWei.toString(),
      pendingWei: pendingWei.toString(),
    };
  },
  async totalsByNode(
    db: SqlExecutor,
  ): Promise<Map<string, { contributions: number; rewardWei: bigint }>> {
    const rows = await db.query<{ node_id: string; reward: string }>(
      "SELECT node_id, reward FROM contributions",
    );
    const out = new Map<string, { contributions: number; rewardWei: bigint }>();
    for (const r of rows) {
      const t = out.get(r.node_id) ?? { contributions: 0, rewardWei: 0n };
      t.contributions += 1;
      t.rewardWei += BigInt(r.reward);
      out.set(r.node_id, t);
    }
    return out;
  },
};
