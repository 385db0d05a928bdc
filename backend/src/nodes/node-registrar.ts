import type { Hex, PublicClient } from "viem";
import { chainNotReady, conflict, invalid } from "../domain/index.js";

/** Simulated nodes on a public chain would be paid to wallets whose keys everyone has. */
export const simulatedNodesUnsafe = () =>
  invalid(
    "simulated_nodes_unsafe",
    "Simulated nodes are refused on this chain: they would be paid to Hardhat's public dev accounts, whose keys anyone can use to claim. Set SIMULATED_NODE_MNEMONIC to a mnemonic of your own for their wallets, or run remote node agents (nodeSource remote).",
  );
import type { RegisterNodePayload } from "../chain/outbox-payloads.js";
import { nodesRepo } from "../store/repos/nodes-repo.js";
import { outboxRepo } from "../store/repos/outbox-repo.js";
import type { SqlDatabase, SqlExecutor } from "../store/sql-database.js";
import {
  chainNodeId,
  reservedNodeIdReason,
  verifyRegistration,
  signRegistration,
  type LedgerDomain,
} from "./node-registration.js";
import { simulatedNodeId, type SimulatedWallets } from "./simulated-wallets.js";

const YEAR_SECONDS = 365 * 24 * 3600;
const DAY_SECONDS = 24 * 3600;

/** Simulated registrations per transaction (ContributionLedger.registerNodes). */
export const REGISTRATIONS_PER_BATCH = 50;

/** The outbox item that registers simulated node k of a run (the batch it is in). */
export function simulatedRegistrationItem(runId: string, k: number): string {
  return `register-nodes:${runId}:${Math.floor((k - 1) / REGISTRATIONS_PER_BATCH)}`;
}

/**
 * Binds node ids to wallets: in the store at once, on chain through the outbox. Remote nodes
 * bring their wallet's signature; simulated nodes sign with their own (derived) keys.
 */
export class NodeRegistrar {
  constructor(
    private readonly db: SqlDatabase,
    private readonly domain: () => LedgerDomain | undefined,
    /** Undefined off the local chain without an operator mnemonic: no simulated nodes then. */
    private readonly wallets: SimulatedWallets | undefined,
    /** Verifies registrations as the ledger does (ERC-1271 smart-contract wallets through it). */
    private readonly chain: Pick<PublicClient, "verifyTypedData">,
  ) {}

  private requireDomain(): LedgerDomain {
    const d = this.domain();
    if (!d) throw chainNotReady();
    return d;
  }

  /**
   * Registers a run's simulated nodes 1..count on chain, in batches of REGISTRATIONS_PER_BATCH per
   * transaction, in the run's outbox lane (ahead of its rounds). Idempotent: the ledger skips nodes
   * already bound as asked. A node's registration signature is made once and kept in the store.
   */
  async enqueueSimulated(tx: SqlExecutor, runId: string, count: number): Promise<void> {
    const d = this.requireDomain();
    if (!this.wallets) throw simulatedNodesUnsafe();
    const all: RegisterNodePayload[] = [];
    for (let k = 1; k <= count; k++) all.push(await this.simulatedRegistration(tx, d, k));
    for (let b = 0; b * REGISTRATIONS_PER_BATCH < all.length; b++) {
      await outboxRepo.enqueue(tx, {
        id: simulatedRegistrationItem(runId, b * REGISTRATIONS_PER_BATCH + 1),
        kind: "register-nodes",
        runId,
        payload: {
          nodes: all.slice(b * REGISTRATIONS_PER_BATCH, (b + 1) * REGISTRATIONS_PER_BATCH),
        },
      });
    }
  }

  /** Simulated node k's registration: its stored signature while valid, else a fresh one. */
  private async simulatedRegistration(
    tx: SqlExecutor,
    d: LedgerDomain,
    k: number,
  ): Promise<RegisterNodePayload> {
    const nodeId = simulatedNodeId(k);
    const account = this.wallets!.account(k);
    const stored = await nodesRepo.registration(tx, nodeId);
    const now = Math.floor(Date.now() / 1000);
    if (
      stored &&
      stored.wallet.toLowerCase() === account.address.toLowerCase() &&
      stored.deadline > now + DAY_SECONDS
    ) {
      return {
        nodeId,
        chainNodeId: chainNodeId(nodeId),
        wallet: account.address,
        deadline: String(stored.deadline),
        signature: stored.signature as Hex,
      };
    }
    const deadline = BigInt(now + YEAR_SECONDS);
    const signature = await signRegistration(account, d, nodeId, deadline);
    await nodesRepo.upsert(tx, {
      id: nodeId,
      wallet: account.address,
      kind: "simulated",
      signature,
      deadline: Number(deadline),
    });
    await nodesRepo.setRegistration(tx, nodeId, signature, Number(deadline));
    return {
      nodeId,
      chainNodeId: chainNodeId(nodeId),
      wallet: account.address,
      deadline: deadline.toString(),
      signature,
    };
  }

  /** POST /api/nodes: a node proves its wallet with an EIP-712 signature. */
  async registerRemote(req: {
    nodeId: string;
    wallet: `0x${string}`;
    deadline: number;
    signature: Hex;
  }): Promise<"inserted" | "unchanged"> {
    const d = this.requireDomain();
    const reserved = reservedNodeIdReason(req.nodeId);
    if (reserved) throw invalid("node_id_reserved", reserved);
    if (req.deadline < Math.floor(Date.now() / 1000)) {
      throw invalid(
        "registration_expired",
        `deadline ${req.deadline} has passed; sign a new registration`,
      );
    }
    const valid = await verifyRegistration(
      this.chain,
      d,
      req.nodeId,
      req.wallet,
      BigInt(req.deadline),
      req.signature,
    );
    if (!valid) {
      throw invalid(
        "bad_signature",
        `the signature was not made by ${req.wallet} over this registration`,
      );
    }
    return this.db.transaction(async (tx) => {
      const result = await nodesRepo.upsert(tx, {
        id: req.nodeId,
        wallet: req.wallet,
        kind: "remote",
        signature: req.signature,
        deadline: req.deadline,
      });
      if (result === "conflict") {
        throw conflict("node_taken", `node id ${req.nodeId} is already bound to another wallet`);
      }
      const payload: RegisterNodePayload = {
        nodeId: req.nodeId,
        chainNodeId: chainNodeId(req.nodeId),
        wallet: req.wallet,
        deadline: String(req.deadline),
        signature: req.signature,
      };
      await outboxRepo.enqueue(tx, {
        id: `register-node:${req.nodeId}`,
        kind: "register-node",
        runId: "",
        payload,
      });
      return result;
    });
  }
}
