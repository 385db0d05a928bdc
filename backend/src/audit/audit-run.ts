import { keccak256, parseEventLogs, toBytes, zeroAddress, type Hex, type PublicClient } from "viem";
import { contributionLedgerAbi, rewardTokenAbi } from "../../../chain/generated/abis.js";
import type { Deployment } from "../chain/deployment.js";
import { decodePolicy, splitRewards, type RewardPolicy } from "../rewards/reward-policy.js";
import { contributionsRepo } from "../store/repos/contributions-repo.js";
import { roundsRepo } from "../store/repos/rounds-repo.js";
import type { SqlDatabase } from "../store/sql-database.js";

export interface AuditCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface AuditReport {
  runId: string;
  chainRunId: Hex;
  policy: RewardPolicy | undefined;
  rounds: number;
  contributions: number;
  totalRewardWei: bigint;
  checks: AuditCheck[];
  ok: boolean;
}

interface ContributionEvent {
  round: number;
  node: `0x${string}`;
  samples: bigint;
  lossBefore: bigint;
  lossAfter: bigint;
  updateHash: Hex;
  reward: bigint;
  txHash: Hex;
}

/**
 * Re-derives a run's rewards from chain events alone (the policy from RunRegistered, every
 * ContributionRecorded, RoundRecorded and the token's mints), then compares with the store when
 * one is given. Every check is listed; the run passes only when all hold.
 */
export async function auditRun(
  client: PublicClient,
  deployment: Deployment,
  runId: string,
  db?: SqlDatabase,
): Promise<AuditReport> {
  const chainRunId = keccak256(toBytes(runId));
  const ledger = deployment.contracts.ContributionLedger.address as `0x${string}`;
  const token = deployment.contracts.RewardToken.address as `0x${string}`;
  const fromBlock = BigInt(deployment.contracts.ContributionLedger.deployBlock);
  const checks: AuditCheck[] = [];
  const check = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });

  const [registered, contributionLogs, roundLogs] = await Promise.all([
    client.getContractEvents({
      address: ledger,
      abi: contributionLedgerAbi,
      eventName: "RunRegistered",
      args: { runId: chainRunId },
      fromBlock,
    }),
    client.getContractEvents({
      address: ledger,
      abi: contributionLedgerAbi,
      eventName: "ContributionRecorded",
      args: { runId: chainRunId },
      fromBlock,
    }),
    client.getContractEvents({
      address: ledger,
      abi: contributionLedgerAbi,
      eventName: "RoundRecorded",
      args: { runId: chainRunId },
      fromBlock,
    }),
  ]);

  let policy: RewardPolicy | undefined;
  const reg = registered[0] as { args: { policyId?: Hex; policyParams?: Hex } } | undefined;
  if (!reg?.args.policyId || !reg.args.policyParams) {
    check("run registered on chain", false, `no RunRegistered event for ${runId} (${chainRunId})`);
  } else {
    try {
      policy = decodePolicy(reg.args.policyId, reg.args.policyParams);
      check(
        "run registered on chain",
        true,
        `policy ${policy.name}, pool ${policy.poolPerRoundWei} wei/round, sampleWeighted ${policy.sampleWeighted}`,
      );
    } catch (err) {
      check("run registered on chain", false, (err as Error).message);
    }
  }

  const contributions: ContributionEvent[] = (
    contributionLogs as unknown as { args: Record<string, unknown>; transactionHash: Hex }[]
  ).map((l) => ({
    round: Number(l.args.round),
    node: l.args.node as `0x${string}`,
    samples: l.args.samples as bigint,
    lossBefore: l.args.lossBefore as bigint,
    lossAfter: l.args.lossAfter as bigint,
    updateHash: l.args.updateHash as Hex,
    reward: l.args.reward as bigint,
    txHash: l.transactionHash,
  }));
  const rounds = (
    roundLogs as unknown as { args: Record<string, unknown>; transactionHash: Hex }[]
  ).map((l) => ({
    round: Number(l.args.round),
    modelHash: l.args.modelHash as Hex,
    count: l.args.contributions as bigint,
    total: l.args.totalReward as bigint,
    txHash: l.transactionHash,
  }));

  // Rewards recomputed from the events and the recorded formula.
  let rewardMismatches = 0;
  let totalsMismatches = 0;
  let mintMismatches = 0;
  let overPool = 0;
  for (const r of rounds) {
    const items = contributions.filter((c) => c.round === r.round);
    const sum = items.reduce((s, c) => s + c.reward, 0n);
    if (BigInt(items.length) !== r.count || sum !== r.total) totalsMismatches++;
    if (policy) {
      const expected = splitRewards(
        policy,
        items.map((c) => ({
          samples: Number(c.samples),
          lossBefore: c.lossBefore,
          lossAfter: c.lossAfter,
        })),
      );
      items.forEach((c, i) => {
        if (c.reward !== expected[i]) rewardMismatches++;
      });
      if (sum > policy.poolPerRoundWei) overPool++;
    }
    // Every reward is a mint (Transfer from 0x0 to the ledger) in the same transaction.
    const receipt = await client.getTransactionReceipt({ hash: r.txHash });
    const mints = parseEventLogs({
      abi: rewardTokenAbi,
      logs: receipt.logs.filter((l) => l.address.toLowerCase() === token.toLowerCase()),
      eventName: "Transfer",
    }) as unknown as {
      args: { from: string; to: string; value: bigint };
    }[];
    const minted = mints
      .filter(
        (m) => m.args.from === zeroAddress && m.args.to.toLowerCase() === ledger.toLowerCase(),
      )
      .reduce((s, m) => s + m.args.value, 0n);
    if (minted !== sum) mintMismatches++;
  }
  const total = contributions.reduce((s, c) => s + c.reward, 0n);
  check(
    "rewards follow the recorded formula",
    policy !== undefined && rewardMismatches === 0,
    `${contributions.length} contributions over ${rounds.length} rounds, ${rewardMismatches} differ from the formula`,
  );
  check(
    "round totals match their contributions",
    totalsMismatches === 0,
    `${totalsMismatches} rounds whose RoundRecorded count/total disagree with their ContributionRecorded events`,
  );
  check(
    "every reward was minted",
    mintMismatches === 0,
    `${mintMismatches} rounds whose minted amount differs from their rewards`,
  );
  check("no round pays more than its pool", overPool === 0, `${overPool} rounds over the pool`);

  // Ledger-wide invariants.
  const [supply, totalRecorded, ledgerBalance, allContribs, allClaims] = await Promise.all([
    client.readContract({
      address: token,
      abi: rewardTokenAbi,
      functionName: "totalSupply",
    }) as Promise<bigint>,
    client.readContract({
      address: ledger,
      abi: contributionLedgerAbi,
      functionName: "totalRecorded",
    }) as Promise<bigint>,
    client.readContract({
      address: token,
      abi: rewardTokenAbi,
      functionName: "balanceOf",
      args: [ledger],
    }) as Promise<bigint>,
    client.getContractEvents({
      address: ledger,
      abi: contributionLedgerAbi,
      eventName: "ContributionRecorded",
      fromBlock,
    }),
    client.getContractEvents({
      address: ledger,
      abi: contributionLedgerAbi,
      eventName: "Claimed",
      fromBlock,
    }),
  ]);
  const everRecorded = (allContribs as unknown as { args: { reward: bigint } }[]).reduce(
    (s, l) => s + l.args.reward,
    0n,
  );
  const everClaimed = (allClaims as unknown as { args: { amount: bigint } }[]).reduce(
    (s, l) => s + l.args.amount,
    0n,
  );
  check(
    "total supply == sum of all recorded rewards",
    supply === everRecorded && supply === totalRecorded,
    `supply ${supply}, events ${everRecorded}, totalRecorded ${totalRecorded}`,
  );
  check(
    "ledger balance == recorded - claimed",
    ledgerBalance === everRecorded - everClaimed,
    `balance ${ledgerBalance}, recorded ${everRecorded} - claimed ${everClaimed}`,
  );

  if (db) {
    const stored = await contributionsRepo.find(db, { run: runId, limit: 1_000_000 });
    const storedRounds = await roundsRepo.list(db, runId);
    const key = (round: number, wallet: string) => `${round}:${wallet.toLowerCase()}`;
    const onChain = new Map(contributions.map((c) => [key(c.round, c.node), c]));
    let storeMismatches = 0;
    let missingOnChain = 0;
    for (const s of stored) {
      const c = onChain.get(key(s.round, s.wallet));
      if (!c) {
        if (s.txHash) storeMismatches++;
        else missingOnChain++;
        continue;
      }
      if (
        c.reward.toString() !== s.rewardWei ||
        c.updateHash !== s.updateHash ||
        Number(c.samples) !== s.samples ||
        (s.txHash && s.txHash !== c.txHash)
      ) {
        storeMismatches++;
      }
    }
    const extraOnChain = contributions.filter(
      (c) => !stored.some((s) => key(s.round, s.wallet) === key(c.round, c.node)),
    ).length;
    check(
      "store agrees with the chain",
      storeMismatches === 0 && extraOnChain === 0,
      `${stored.length} stored, ${storeMismatches} differ, ${extraOnChain} on chain but not stored, ${missingOnChain} not yet recorded (outbox)`,
    );
    let hashMismatches = 0;
    for (const r of rounds) {
      const s = storedRounds.find((x) => x.round === r.round);
      if (!s || s.modelHash !== r.modelHash) hashMismatches++;
    }
    check(
      "model hashes agree",
      hashMismatches === 0,
      `${hashMismatches} rounds whose stored model hash differs from the chain`,
    );
  }

  return {
    runId,
    chainRunId,
    policy,
    rounds: rounds.length,
    contributions: contributions.length,
    totalRewardWei: total,
    checks,
    ok: checks.every((c) => c.ok),
  };
}
