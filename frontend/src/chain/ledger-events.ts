import type { Hex, PublicClient } from "viem";
import { contributionLedgerAbi } from "../../../chain/generated/abis";
import {
  decodePolicy,
  splitRewards,
  type RewardPolicy,
} from "../../../backend/src/rewards/reward-policy";
import type { Deployment } from "./deployments";

export interface ChainContribution {
  chainRunId: Hex;
  round: number;
  node: `0x${string}`;
  samples: bigint;
  lossBefore: bigint;
  lossAfter: bigint;
  updateHash: Hex;
  reward: bigint;
  txHash: Hex;
  blockNumber: bigint;
  logIndex: number;
}

export interface ChainRound {
  chainRunId: Hex;
  round: number;
  modelHash: Hex;
  contributions: bigint;
  totalReward: bigint;
  txHash: Hex;
  blockNumber: bigint;
}

export interface ChainRun {
  chainRunId: Hex;
  policyId: Hex;
  policyParams: Hex;
  policy: RewardPolicy | undefined;
  txHash: Hex;
  blockNumber: bigint;
}

export interface ChainClaim {
  node: `0x${string}`;
  amount: bigint;
  txHash: Hex;
  blockNumber: bigint;
}

export interface LedgerSnapshot {
  contributions: ChainContribution[];
  rounds: ChainRound[];
  runs: ChainRun[];
  claims: ChainClaim[];
  /** The block the snapshot was read at. */
  blockNumber: bigint;
}

interface RawLog {
  args: Record<string, unknown>;
  transactionHash: Hex | null;
  blockNumber: bigint | null;
  logIndex: number | null;
}

function asLogs(logs: unknown): RawLog[] {
  return logs as RawLog[];
}

function safeDecode(policyId: Hex, params: Hex): RewardPolicy | undefined {
  try {
    return decodePolicy(policyId, params);
  } catch {
    return undefined;
  }
}

/** Reads every ContributionLedger event since the deployment block. */
export async function readLedger(
  client: PublicClient,
  deployment: Deployment,
): Promise<LedgerSnapshot> {
  const address = deployment.contracts.ContributionLedger.address as `0x${string}`;
  const blockNumber = await client.getBlockNumber();
  const range = {
    address,
    abi: contributionLedgerAbi,
    fromBlock: BigInt(deployment.contracts.ContributionLedger.deployBlock),
    toBlock: blockNumber,
  } as const;
  const [contribs, rounds, runs, claims] = await Promise.all([
    client.getContractEvents({ ...range, eventName: "ContributionRecorded" }),
    client.getContractEvents({ ...range, eventName: "RoundRecorded" }),
    client.getContractEvents({ ...range, eventName: "RunRegistered" }),
    client.getContractEvents({ ...range, eventName: "Claimed" }),
  ]);
  return {
    blockNumber,
    contributions: asLogs(contribs).map((l) => ({
      chainRunId: l.args.runId as Hex,
      round: Number(l.args.round),
      node: l.args.node as `0x${string}`,
      samples: l.args.samples as bigint,
      lossBefore: l.args.lossBefore as bigint,
      lossAfter: l.args.lossAfter as bigint,
      updateHash: l.args.updateHash as Hex,
      reward: l.args.reward as bigint,
      txHash: l.transactionHash as Hex,
      blockNumber: l.blockNumber ?? 0n,
      logIndex: l.logIndex ?? 0,
    })),
    rounds: asLogs(rounds).map((l) => ({
      chainRunId: l.args.runId as Hex,
      round: Number(l.args.round),
      modelHash: l.args.modelHash as Hex,
      contributions: l.args.contributions as bigint,
      totalReward: l.args.totalReward as bigint,
      txHash: l.transactionHash as Hex,
      blockNumber: l.blockNumber ?? 0n,
    })),
    runs: asLogs(runs).map((l) => ({
      chainRunId: l.args.runId as Hex,
      policyId: l.args.policyId as Hex,
      policyParams: l.args.policyParams as Hex,
      policy: safeDecode(l.args.policyId as Hex, l.args.policyParams as Hex),
      txHash: l.transactionHash as Hex,
      blockNumber: l.blockNumber ?? 0n,
    })),
    claims: asLogs(claims).map((l) => ({
      node: l.args.node as `0x${string}`,
      amount: l.args.amount as bigint,
      txHash: l.transactionHash as Hex,
      blockNumber: l.blockNumber ?? 0n,
    })),
  };
}

export interface LedgerAudit {
  contributions: number;
  rounds: number;
  totalReward: bigint;
  /** Rewards that differ from the recorded formula applied to their round's events. */
  formulaMismatches: number;
  /** Rounds whose RoundRecorded count/total disagree with their ContributionRecorded events. */
  roundTotalMismatches: number;
  /** Runs without a decodable RunRegistered policy (their rewards cannot be re-derived). */
  runsWithoutPolicy: number;
  ok: boolean;
}

const key = (runId: string, round: number) => `${runId.toLowerCase()}:${round}`;

/**
 * The audit's arithmetic, in the browser: re-derives every reward from the chain events alone with
 * the same formula the coordinator and `npm run audit` use, and checks each round's totals.
 */
export function auditLedger(
  snapshot: Pick<LedgerSnapshot, "contributions" | "rounds" | "runs">,
): LedgerAudit {
  const policies = new Map(snapshot.runs.map((r) => [r.chainRunId.toLowerCase(), r.policy]));
  const byRound = new Map<string, ChainContribution[]>();
  for (const c of snapshot.contributions) {
    const k = key(c.chainRunId, c.round);
    const list = byRound.get(k) ?? [];
    list.push(c);
    byRound.set(k, list);
  }
  let formulaMismatches = 0;
  let roundTotalMismatches = 0;
  const runsWithoutPolicy = new Set<string>();
  for (const r of snapshot.rounds) {
    const items = (byRound.get(key(r.chainRunId, r.round)) ?? []).sort(
      (a, b) => a.logIndex - b.logIndex,
    );
    const sum = items.reduce((s, c) => s + c.reward, 0n);
    if (BigInt(items.length) !== r.contributions || sum !== r.totalReward) roundTotalMismatches++;
    const policy = policies.get(r.chainRunId.toLowerCase());
    if (!policy) {
      runsWithoutPolicy.add(r.chainRunId.toLowerCase());
      continue;
    }
    const expected = splitRewards(
      policy,
      items.map((c) => ({
        samples: Number(c.samples),
        lossBefore: c.lossBefore,
        lossAfter: c.lossAfter,
      })),
    );
    items.forEach((c, i) => {
      if (c.reward !== expected[i]) formulaMismatches++;
    });
  }
  const totalReward = snapshot.contributions.reduce((s, c) => s + c.reward, 0n);
  return {
    contributions: snapshot.contributions.length,
    rounds: snapshot.rounds.length,
    totalReward,
    formulaMismatches,
    roundTotalMismatches,
    runsWithoutPolicy: runsWithoutPolicy.size,
    ok: formulaMismatches === 0 && roundTotalMismatches === 0 && runsWithoutPolicy.size === 0,
  };
}
