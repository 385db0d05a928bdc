// Reads everything an auditor needs from the chain: the ledger's events (runs, rounds,
// contributions, claims), the token's mints into the ledger, and the totals the contracts keep.
// Pure viem: the same code runs in `npm run audit` and in the dashboard's Ledger page.
import { zeroAddress, type Hex, type PublicClient } from "viem";
import { contributionLedgerAbi, rewardTokenAbi } from "../../../chain/generated/abis.js";
import type { Deployment } from "../../../chain/deployment-schema.js";
import { decodePolicy, type RewardPolicy } from "../rewards/reward-policy.js";

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
  /** keccak256 of the run's spec document (zero: registered without one). */
  specHash: Hex;
  /** The decoded policy; undefined when its id is not one FedLedger knows. */
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

/** A token mint into the ledger (every reward is one). */
export interface ChainMint {
  amount: bigint;
  txHash: Hex;
}

export interface LedgerSnapshot {
  contributions: ChainContribution[];
  rounds: ChainRound[];
  runs: ChainRun[];
  claims: ChainClaim[];
  mints: ChainMint[];
  /** What the contracts say, at `blockNumber`. */
  totals: { supply: bigint; totalRecorded: bigint; ledgerBalance: bigint };
  /** The block the snapshot was read at. */
  blockNumber: bigint;
}

export interface ReadLedgerOptions {
  /**
   * Blocks per eth_getLogs call. Public RPC endpoints cap the range of one call (commonly 1,000 to
   * 10,000 blocks); a range the endpoint refuses is split in halves and retried.
   */
  pageBlocks?: bigint;
}

export const DEFAULT_PAGE_BLOCKS = 5_000n;

interface RawLog {
  args: Record<string, unknown>;
  transactionHash: Hex | null;
  blockNumber: bigint | null;
  logIndex: number | null;
}

/** Errors public RPCs answer when a getLogs range is too wide or returns too many logs. */
const RANGE_REFUSED =
  /range|too many|limit|exceed|10000|query returned more than|response size|timeout/i;

/**
 * Logs from `from` to `to` inclusive, `page` blocks per call, halving a page the endpoint refuses.
 */
export async function getLogsInPages(
  fetchPage: (fromBlock: bigint, toBlock: bigint) => Promise<unknown[]>,
  from: bigint,
  to: bigint,
  page: bigint,
): Promise<RawLog[]> {
  const out: RawLog[] = [];
  let start = from;
  let size = page > 0n ? page : 1n;
  while (start <= to) {
    const end = start + size - 1n < to ? start + size - 1n : to;
    try {
      out.push(...((await fetchPage(start, end)) as RawLog[]));
      start = end + 1n;
    } catch (err) {
      if (size > 1n && RANGE_REFUSED.test((err as Error).message ?? "")) {
        size = size / 2n;
        continue;
      }
      throw err;
    }
  }
  return out;
}

function safeDecode(policyId: Hex, params: Hex): RewardPolicy | undefined {
  try {
    return decodePolicy(policyId, params);
  } catch {
    return undefined;
  }
}

/** Reads every ledger event since the deployment block, the mints into it, and the totals. */
export async function readLedger(
  client: PublicClient,
  deployment: Deployment,
  opts: ReadLedgerOptions = {},
): Promise<LedgerSnapshot> {
  const ledger = deployment.contracts.ContributionLedger.address as `0x${string}`;
  const token = deployment.contracts.RewardToken.address as `0x${string}`;
  const blockNumber = await client.getBlockNumber();
  const from = BigInt(deployment.contracts.ContributionLedger.deployBlock);
  const page = opts.pageBlocks ?? DEFAULT_PAGE_BLOCKS;
  const ledgerEvents = (
    eventName: "ContributionRecorded" | "RoundRecorded" | "RunRegistered" | "Claimed",
  ) =>
    getLogsInPages(
      (fromBlock, toBlock) =>
        client.getContractEvents({
          address: ledger,
          abi: contributionLedgerAbi,
          eventName,
          fromBlock,
          toBlock,
        }),
      from,
      blockNumber,
      page,
    );
  const at = { blockNumber } as const;
  const [contribs, rounds, runs, claims, mints, supply, totalRecorded, ledgerBalance] =
    await Promise.all([
      ledgerEvents("ContributionRecorded"),
      ledgerEvents("RoundRecorded"),
      ledgerEvents("RunRegistered"),
      ledgerEvents("Claimed"),
      mintsInto(client, token, ledger, from, blockNumber, page),
      client.readContract({
        ...at,
        address: token,
        abi: rewardTokenAbi,
        functionName: "totalSupply",
      }),
      client.readContract({
        ...at,
        address: ledger,
        abi: contributionLedgerAbi,
        functionName: "totalRecorded",
      }),
      client.readContract({
        ...at,
        address: token,
        abi: rewardTokenAbi,
        functionName: "balanceOf",
        args: [ledger],
      }),
    ]);
  return {
    blockNumber,
    totals: {
      supply: supply as bigint,
      totalRecorded: totalRecorded as bigint,
      ledgerBalance: ledgerBalance as bigint,
    },
    contributions: contribs.map(toContribution),
    rounds: rounds.map(toRound),
    runs: runs.map(toRun),
    claims: claims.map((l) => ({
      node: l.args.node as `0x${string}`,
      amount: l.args.amount as bigint,
      txHash: l.transactionHash as Hex,
      blockNumber: l.blockNumber ?? 0n,
    })),
    mints: mints.map((l) => ({ amount: l.args.value as bigint, txHash: l.transactionHash as Hex })),
  };
}

const toContribution = (l: RawLog): ChainContribution => ({
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
});

const toRound = (l: RawLog): ChainRound => ({
  chainRunId: l.args.runId as Hex,
  round: Number(l.args.round),
  modelHash: l.args.modelHash as Hex,
  contributions: l.args.contributions as bigint,
  totalReward: l.args.totalReward as bigint,
  txHash: l.transactionHash as Hex,
  blockNumber: l.blockNumber ?? 0n,
});

const toRun = (l: RawLog): ChainRun => ({
  chainRunId: l.args.runId as Hex,
  policyId: l.args.policyId as Hex,
  policyParams: l.args.policyParams as Hex,
  specHash: (l.args.specHash as Hex | undefined) ?? `0x${"0".repeat(64)}`,
  policy: safeDecode(l.args.policyId as Hex, l.args.policyParams as Hex),
  txHash: l.transactionHash as Hex,
  blockNumber: l.blockNumber ?? 0n,
});

/** The token's mints (Transfer from 0x0) into the ledger: every reward is one. */
function mintsInto(
  client: PublicClient,
  token: `0x${string}`,
  ledger: `0x${string}`,
  from: bigint,
  to: bigint,
  page: bigint,
): Promise<RawLog[]> {
  return getLogsInPages(
    (fromBlock, toBlock) =>
      client.getContractEvents({
        address: token,
        abi: rewardTokenAbi,
        eventName: "Transfer",
        args: { from: zeroAddress, to: ledger },
        fromBlock,
        toBlock,
      }),
    from,
    to,
    page,
  );
}
