// Recovery after the chain was reset (a restarted local `hardhat node`, or a fork replaced): the
// store keeps every run, round and contribution, and the contracts are deployed again. This
// re-records all of it on the new deployment: the store is bound to it, every chain write in the
// outbox goes out again (in each lane's order: the run's registration, its nodes, its rounds), and
// the rounds' and contributions' transaction hashes are cleared until their new ones land. An
// audit afterwards (`npm run audit -- --all`) checks the result.
import type { PublicClient } from "viem";
import { conflict, unavailable } from "../domain/index.js";
import type { Deployment } from "../chain/deployment.js";
import { deploymentFingerprint } from "../store/deployment-binding.js";
import type { SqlDatabase } from "../store/sql-database.js";

export interface RecoveryReport {
  deployment: { chainId: number; ledger: string; deployedAt: string };
  /** Chain writes queued again. */
  requeued: number;
  runs: number;
  rounds: number;
}

/** Checks that `next` is live on the chain `client` reads: its genesis and its ledger's code. */
export async function assertLiveDeployment(client: PublicClient, next: Deployment): Promise<void> {
  const ledger = next.contracts.ContributionLedger.address as `0x${string}`;
  const [code, genesis] = await Promise.all([
    client.getCode({ address: ledger }),
    client.getBlock({ blockNumber: 0n }),
  ]).catch((err: unknown) => {
    throw unavailable("chain_unreachable", `Cannot read the chain: ${(err as Error).message}`);
  });
  if (!code || code === "0x") {
    throw conflict(
      "no_live_deployment",
      "The deployment file's ledger has no code on this chain: run `npm run deploy:local` first.",
    );
  }
  if (next.genesisHash && genesis.hash !== next.genesisHash) {
    throw conflict(
      "no_live_deployment",
      "The deployment file was written for another chain (its genesis differs): run `npm run deploy:local` against this chain first.",
    );
  }
}

/**
 * Binds the store to `next` and queues every chain write again. Same addresses only: the nodes'
 * registration signatures name the ledger's address, so a deployment at other addresses would need
 * every node to sign again (start afresh instead).
 */
export async function requeueOnNewDeployment(
  db: SqlDatabase,
  previous: Deployment,
  next: Deployment,
): Promise<RecoveryReport> {
  if (deploymentFingerprint(previous) === deploymentFingerprint(next)) {
    throw conflict(
      "nothing_to_recover",
      "The deployment file still names the deployment this store is bound to: redeploy first (`npm run deploy:local`).",
    );
  }
  const same = (d: Deployment) =>
    `${d.chainId}:${d.contracts.ContributionLedger.address.toLowerCase()}:${d.contracts.RewardToken.address.toLowerCase()}`;
  if (same(previous) !== same(next)) {
    throw conflict(
      "addresses_changed",
      "The new deployment has other addresses; the nodes' registration signatures name the old ledger, so re-recording would need every node to sign again. Start afresh instead (restart the coordinator: the old store is archived).",
    );
  }
  return db.transaction(async (tx) => {
    await tx.execute("UPDATE store_meta SET value = $1 WHERE key = 'deployment'", [
      deploymentFingerprint(next),
    ]);
    const { changes: requeued } = await tx.execute(
      "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = 0, tx_hash = NULL, last_error = NULL, updated_at = $1",
      [Date.now()],
    );
    const { changes: rounds } = await tx.execute(
      "UPDATE rounds SET tx_hash = NULL, status = 'aggregated' WHERE tx_hash IS NOT NULL",
    );
    await tx.execute("UPDATE contributions SET tx_hash = NULL");
    await tx.execute("UPDATE nodes SET registration_tx = NULL");
    const [{ n }] = (await tx.query<{ n: number }>("SELECT COUNT(*) AS n FROM runs")) as [
      { n: number },
    ];
    return {
      deployment: {
        chainId: next.chainId,
        ledger: next.contracts.ContributionLedger.address,
        deployedAt: next.deployedAt,
      },
      requeued,
      runs: Number(n),
      rounds,
    };
  });
}
