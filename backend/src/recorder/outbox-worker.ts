import type { Hex } from "viem";
import { z } from "zod";
import { LedgerRevert, type LedgerClient } from "../chain/ledger-client.js";
import { decodeOutboxPayload, type DecodedOutboxItem } from "../chain/outbox-payloads.js";
import type { RunEvents } from "../events/run-events.js";
import { contributionsRepo } from "../store/repos/contributions-repo.js";
import { nodesRepo } from "../store/repos/nodes-repo.js";
import { outboxRepo, type OutboxItem } from "../store/repos/outbox-repo.js";
import { roundsRepo } from "../store/repos/rounds-repo.js";
import type { SqlDatabase } from "../store/sql-database.js";
import { isPermanentRevert } from "./revert-classes.js";
import { componentLogger } from "../logging/logger.js";

const log = componentLogger("outbox");

export interface OutboxWorkerOptions {
  baseDelayMs?: number;
  maxDelayMs?: number;
  idleMs?: number;
  /** False while the chain is not the deployment's (reset): nothing is sent then. */
  writable?: () => boolean;
}

/**
 * Sends the outbox to the chain, oldest first, one at a time. Before each send it asks the chain
 * whether the effect is already there (a crash after sending, or a restart), so nothing is
 * recorded twice; the contract's duplicate-round check is the second guard. Failures back off
 * exponentially; training never waits for any of this.
 */
export class OutboxWorker {
  private running = false;
  private wake: (() => void) | undefined;
  private loopDone: Promise<void> = Promise.resolve();
  private readonly base: number;
  private readonly max: number;
  private readonly idle: number;
  lastError: string | undefined;

  constructor(
    private readonly db: SqlDatabase,
    private readonly ledger: LedgerClient,
    private readonly events: RunEvents,
    opts: OutboxWorkerOptions = {},
  ) {
    this.base = opts.baseDelayMs ?? 1000;
    this.max = opts.maxDelayMs ?? 30_000;
    this.idle = opts.idleMs ?? 1000;
    this.writable = opts.writable ?? (() => true);
  }

  private readonly writable: () => boolean;

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.loop();
  }

  /** Called after enqueueing so the item goes out without waiting for the idle poll. */
  poke(): void {
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loopDone;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }

  private async loop(): Promise<void> {
    while (this.running) {
      if (!this.writable()) {
        await this.sleep(this.idle);
        continue;
      }
      let item: OutboxItem | undefined;
      try {
        item = await outboxRepo.nextPending(this.db);
      } catch (err) {
        this.lastError = (err as Error).message;
      }
      if (!item) {
        await this.sleep(this.idle);
        continue;
      }
      await this.process(item);
    }
  }

  /** Sends one item; exposed for tests. */
  async process(item: OutboxItem): Promise<void> {
    try {
      const decoded = decodeOutboxPayload(item.kind, item.payload);
      const { tx, boundNodes } = await this.sendItem(decoded);
      await this.db.transaction(async (t) => {
        await outboxRepo.confirm(t, item.id, tx ?? null);
        if (item.kind === "record-round" && tx) {
          await roundsRepo.markRecorded(t, item.runId, item.round!, tx);
          await contributionsRepo.setTx(t, item.runId, item.round!, tx);
        }
        if (decoded.kind === "register-node" && tx) {
          await nodesRepo.setRegistrationTx(t, decoded.payload.nodeId, tx);
        }
        if (decoded.kind === "register-nodes" && tx) {
          const bound = new Set(boundNodes);
          for (const n of decoded.payload.nodes) {
            if (bound.has(n.chainNodeId)) await nodesRepo.setRegistrationTx(t, n.nodeId, tx);
          }
        }
      });
      this.lastError = undefined;
      if (decoded.kind === "record-round" && tx) {
        const p = decoded.payload;
        const total = p.contributions.reduce((s, c) => s + BigInt(c.reward), 0n);
        await this.events.publish({
          type: "contribution-recorded",
          runId: item.runId,
          round: p.round,
          txHash: tx,
          totalRewardWei: total.toString(),
        });
      }
    } catch (err) {
      const message = err instanceof Error ? err.message.split("\n")[0]! : String(err);
      this.lastError = `${item.id}: ${message}`;
      if (await this.isPermanent(item, err)) {
        log.error(`${item.id} failed for good: ${message}`);
        await outboxRepo.fail(this.db, item.id, message);
        if (item.runId) {
          await this.events
            .publish({
              type: "log",
              runId: item.runId,
              level: "error",
              message: `chain write ${item.id} failed: ${message}`,
            })
            .catch(() => undefined);
        }
        return;
      }
      const delay = Math.min(this.max, this.base * 2 ** Math.min(item.attempts, 16));
      log.warn(
        `${item.id} attempt ${item.attempts + 1} failed (${message}); retrying in ${delay} ms`,
      );
      await outboxRepo.retryLater(this.db, item.id, message, Date.now() + delay);
    }
  }

  /**
   * Whether retrying can never help: a payload that does not decode, a revert the ABI's error
   * classes call permanent, or a round of a run whose registration itself failed for good.
   */
  private async isPermanent(item: OutboxItem, err: unknown): Promise<boolean> {
    if (err instanceof z.ZodError) return true;
    if (!(err instanceof LedgerRevert)) return false;
    if (isPermanentRevert(err.errorName)) return true;
    if (err.errorName === "RunNotRegistered" && item.runId) {
      const registration = await outboxRepo.get(this.db, `register-run:${item.runId}`);
      return registration?.status === "failed";
    }
    return false;
  }

  /** Sends an item; for a batch of registrations also which nodes it bound. */
  private async sendItem(item: DecodedOutboxItem): Promise<{ tx: Hex | null; boundNodes: Hex[] }> {
    if (item.kind !== "register-nodes") return { tx: await this.send(item), boundNodes: [] };
    // The ledger skips nodes already bound as asked, and skips (with an event) entries it would
    // refuse, so a batch is never held back by one of its entries.
    const { tx, bound } = await this.ledger.registerNodes(
      item.payload.nodes.map((n) => ({
        nodeId: n.chainNodeId,
        wallet: n.wallet,
        deadline: BigInt(n.deadline),
        signature: n.signature,
      })),
    );
    return { tx, boundNodes: bound };
  }

  /** Returns the transaction hash, or null when the chain already had the effect without one we know. */
  private async send(
    item: Exclude<DecodedOutboxItem, { kind: "register-nodes" }>,
  ): Promise<Hex | null> {
    switch (item.kind) {
      case "register-run": {
        const p = item.payload;
        if (await this.ledger.isRunRegistered(p.chainRunId)) return null;
        return this.ledger.registerRun(p.chainRunId, p.policyId, p.policyParams, p.specHash);
      }
      case "register-node": {
        const p = item.payload;
        const bound = await this.ledger.nodeWallet(p.chainNodeId);
        if (bound.toLowerCase() === p.wallet.toLowerCase()) return null;
        return this.ledger.registerNode(p.chainNodeId, p.wallet, BigInt(p.deadline), p.signature);
      }
      case "record-round": {
        const p = item.payload;
        if (await this.ledger.isRecorded(p.chainRunId, p.round)) {
          return (await this.ledger.findRoundTx(p.chainRunId, p.round)) ?? null;
        }
        return this.ledger.recordRound(
          p.chainRunId,
          p.round,
          p.modelHash,
          p.contributions.map((c) => ({
            node: c.node,
            samples: BigInt(c.samples),
            lossBefore: BigInt(c.lossBefore),
            lossAfter: BigInt(c.lossAfter),
            updateHash: c.updateHash,
            reward: BigInt(c.reward),
          })),
        );
      }
    }
  }
}
