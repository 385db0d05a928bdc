// Who may take part in a round. A node is admitted only when everything its contribution will name
// on chain is sound: its node id is bound on chain to the wallet the store has for it (or its
// registration is queued ahead of the round's write in the same outbox lane), and the sample count
// it announced is within the run's cap. Anything else would make the round's chain write revert,
// or let a node buy weight and reward with a number nobody checked.
import { zeroAddress, type Hex } from "viem";
import { outboxRepo } from "../store/repos/outbox-repo.js";
import type { SqlDatabase } from "../store/sql-database.js";
import { simulatedRegistrationItem } from "./node-registrar.js";
import { chainNodeId, SIMULATED_NODE_PREFIX } from "./node-registration.js";
import type { Participant } from "./participant.js";

/** Reads a node id's wallet from the ledger (zero address when unbound). */
export interface RegistrationReader {
  nodeWallet(chainNodeId: Hex): Promise<`0x${string}`>;
}

export interface AdmissionContext {
  runId: string;
  /** The most samples a node may announce in this run. */
  maxSamples: number;
}

/** A chain read that does not answer in time counts as unknown. */
const READ_TIMEOUT_MS = 3_000;

export class NodeAdmission {
  /** Bindings seen on chain: never change once made (the ledger never rebinds). */
  private readonly bound = new Map<Hex, `0x${string}`>();

  constructor(
    private readonly db: SqlDatabase,
    private readonly chain: RegistrationReader,
  ) {}

  /** Forgets every binding seen (the chain was reset: bindings are made again). */
  forget(): void {
    this.bound.clear();
  }

  /** Why `node` may not take part in the round, or undefined when it may. */
  async refusal(node: Participant, ctx: AdmissionContext): Promise<string | undefined> {
    if (node.samples !== undefined && node.samples > ctx.maxSamples) {
      return `announces ${node.samples} samples, more than this run's cap of ${ctx.maxSamples} per node`;
    }
    const id = chainNodeId(node.id);
    const onChain = this.bound.get(id) ?? (await this.readBinding(id));
    if (onChain && onChain !== zeroAddress) {
      return onChain.toLowerCase() === node.wallet.toLowerCase()
        ? undefined
        : `node id ${node.id} is bound on chain to ${onChain}, not to its wallet ${node.wallet}, so it could never be paid`;
    }
    // Not on chain yet (or the chain did not answer): its registration must be on its way.
    const simulated = node.id.startsWith(SIMULATED_NODE_PREFIX);
    const item = await outboxRepo.get(
      this.db,
      simulated
        ? simulatedRegistrationItem(ctx.runId, Number(node.id.slice(SIMULATED_NODE_PREFIX.length)))
        : `register-node:${node.id}`,
    );
    if (!item) return `node ${node.id} has no registration on its way to the chain`;
    if (item.status === "failed") {
      return `node ${node.id}'s registration failed on chain: ${item.lastError ?? "unknown reason"}`;
    }
    // A simulated node's registration is in the run's own lane, ahead of every round it takes part
    // in. A remote node's has a lane of its own: it joins once its registration is on chain.
    if (item.status === "pending" && !simulated) {
      return `node ${node.id}'s registration is not on chain yet; it joins once it lands`;
    }
    if (item.status === "confirmed" && onChain === zeroAddress) {
      return `node ${node.id} is registered in the store but not on this chain (was the chain reset?)`;
    }
    return undefined;
  }

  private async readBinding(id: Hex): Promise<`0x${string}` | undefined> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const wallet = await Promise.race([
        this.chain.nodeWallet(id),
        new Promise<undefined>((resolve) => {
          timer = setTimeout(() => resolve(undefined), READ_TIMEOUT_MS);
        }),
      ]);
      if (wallet && wallet !== zeroAddress) this.bound.set(id, wallet);
      return wallet;
    } catch {
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }
}
