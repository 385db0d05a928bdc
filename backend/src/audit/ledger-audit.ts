// The audit's logic, pure: from a snapshot of the chain (chain/ledger-events.ts) and, optionally,
// what the coordinator's store says, re-derive every reward with the recorded formula and check
// every total. `npm run audit` and the dashboard's Ledger page both run exactly this.
import type { Hex } from "viem";
import type { ChainContribution, LedgerSnapshot } from "../chain/ledger-events.js";
import { splitRewards, type RewardPolicy } from "../rewards/reward-policy.js";

export interface AuditCheck {
  /** Stable id, for code and tests. */
  id:
    | "run-registered"
    | "formula"
    | "round-totals"
    | "minted"
    | "within-pool"
    | "supply"
    | "ledger-balance"
    | "store-contributions"
    | "store-model-hashes"
    | "store-totals";
  name: string;
  ok: boolean;
  detail: string;
}

/** What the coordinator's store says about the audited run(s), to compare with the chain. */
export interface StoreView {
  /** Every stored contribution (the CLI reads them all). */
  contributions?: readonly {
    round: number;
    wallet: string;
    rewardWei: string;
    updateHash: string;
    samples: number;
    txHash: string | null;
  }[];
  rounds?: readonly { round: number; modelHash: string | null }[];
  /** Only totals (the dashboard reads GET /api/contributions/totals). */
  totals?: { recordedWei: string; pendingWei: string };
}

export interface AuditOptions {
  /** Audit one run (its chain id); all runs when absent. */
  chainRunId?: Hex;
  store?: StoreView;
}

export interface AuditReport {
  /** The run's policy, when one run is audited and its registration decodes. */
  policy: RewardPolicy | undefined;
  rounds: number;
  contributions: number;
  totalReward: bigint;
  checks: AuditCheck[];
  ok: boolean;
}

const lower = (s: string) => s.toLowerCase();
const roundKey = (runId: string, round: number) => `${lower(runId)}:${round}`;

/** Every check of the audit, in the order they are shown. */
export function auditLedger(snapshot: LedgerSnapshot, opts: AuditOptions = {}): AuditReport {
  const inScope = (runId: string) => !opts.chainRunId || lower(runId) === lower(opts.chainRunId);
  const runs = snapshot.runs.filter((r) => inScope(r.chainRunId));
  const rounds = snapshot.rounds.filter((r) => inScope(r.chainRunId));
  const contributions = snapshot.contributions.filter((c) => inScope(c.chainRunId));
  const checks: AuditCheck[] = [];
  const check = (id: AuditCheck["id"], name: string, ok: boolean, detail: string) =>
    checks.push({ id, name, ok, detail });

  const policies = new Map(runs.map((r) => [lower(r.chainRunId), r.policy]));
  const runPolicy = opts.chainRunId ? policies.get(lower(opts.chainRunId)) : undefined;
  if (opts.chainRunId) checkRegistration(opts.chainRunId, runs[0], runPolicy, check);
  const { formula, totals, unminted, overPool, withoutPolicy } = checkRounds(
    rounds,
    contributions,
    snapshot.mints,
    policies,
  );
  const totalReward = contributions.reduce((s, c) => s + c.reward, 0n);
  check(
    "formula",
    "rewards follow the recorded formula",
    formula === 0 && withoutPolicy.size === 0,
    `${contributions.length} contributions over ${rounds.length} rounds, ${formula} differ from the formula` +
      (withoutPolicy.size ? `, ${withoutPolicy.size} run(s) without a known policy` : ""),
  );
  check(
    "round-totals",
    "round totals match their contributions",
    totals === 0,
    `${totals} rounds whose RoundRecorded count/total disagree with their ContributionRecorded events`,
  );
  check(
    "minted",
    "every reward was minted",
    unminted === 0,
    `${unminted} rounds whose minted amount differs from their rewards`,
  );
  check(
    "within-pool",
    "no round pays more than its pool",
    overPool === 0,
    `${overPool} rounds over the pool`,
  );

  // Ledger-wide invariants: over every run, whatever the scope.
  const everRecorded = snapshot.contributions.reduce((s, c) => s + c.reward, 0n);
  const everClaimed = snapshot.claims.reduce((s, c) => s + c.amount, 0n);
  const { supply, totalRecorded, ledgerBalance } = snapshot.totals;
  check(
    "supply",
    "total supply == sum of all recorded rewards",
    supply === everRecorded && supply === totalRecorded,
    `supply ${supply}, events ${everRecorded}, totalRecorded ${totalRecorded}`,
  );
  check(
    "ledger-balance",
    "ledger balance == recorded - claimed",
    ledgerBalance === everRecorded - everClaimed,
    `balance ${ledgerBalance}, recorded ${everRecorded} - claimed ${everClaimed}`,
  );

  if (opts.store) compareWithStore(opts.store, contributions, rounds, totalReward, check);

  return {
    policy: runPolicy,
    rounds: rounds.length,
    contributions: contributions.length,
    totalReward,
    checks,
    ok: checks.every((c) => c.ok),
  };
}

function compareWithStore(
  store: StoreView,
  contributions: readonly ChainContribution[],
  rounds: LedgerSnapshot["rounds"],
  totalReward: bigint,
  check: (id: AuditCheck["id"], name: string, ok: boolean, detail: string) => void,
): void {
  if (store.contributions) {
    const key = (round: number, wallet: string) => `${round}:${lower(wallet)}`;
    const onChain = new Map(contributions.map((c) => [key(c.round, c.node), c]));
    const storedKeys = new Set(store.contributions.map((s) => key(s.round, s.wallet)));
    let differ = 0;
    let pending = 0;
    for (const s of store.contributions) {
      const c = onChain.get(key(s.round, s.wallet));
      if (!c) {
        if (s.txHash) differ++;
        else pending++;
        continue;
      }
      if (
        c.reward.toString() !== s.rewardWei ||
        c.updateHash !== s.updateHash ||
        Number(c.samples) !== s.samples ||
        (s.txHash && s.txHash !== c.txHash)
      )
        differ++;
    }
    const extra = contributions.filter((c) => !storedKeys.has(key(c.round, c.node))).length;
    check(
      "store-contributions",
      "store agrees with the chain",
      differ === 0 && extra === 0,
      `${store.contributions.length} stored, ${differ} differ, ${extra} on chain but not stored, ${pending} not yet recorded (outbox)`,
    );
  }
  if (store.rounds) {
    const stored = new Map(store.rounds.map((r) => [r.round, r.modelHash]));
    const differ = rounds.filter((r) => stored.get(r.round) !== r.modelHash).length;
    check(
      "store-model-hashes",
      "model hashes agree",
      differ === 0,
      `${differ} rounds whose stored model hash differs from the chain`,
    );
  }
  if (store.totals) {
    const recorded = BigInt(store.totals.recordedWei);
    check(
      "store-totals",
      "the coordinator's store agrees with the chain",
      recorded === totalReward,
      `store ${recorded} wei recorded, chain ${totalReward} wei; ${store.totals.pendingWei} wei still in the outbox`,
    );
  }
}

/** Re-derives every round's rewards and totals; counts what disagrees. */
function checkRounds(
  rounds: LedgerSnapshot["rounds"],
  contributions: readonly ChainContribution[],
  mints: LedgerSnapshot["mints"],
  policies: ReadonlyMap<string, RewardPolicy | undefined>,
) {
  const byRound = new Map<string, ChainContribution[]>();
  for (const c of contributions) {
    const k = roundKey(c.chainRunId, c.round);
    byRound.set(k, [...(byRound.get(k) ?? []), c]);
  }
  const mintedIn = new Map<string, bigint>();
  for (const m of mints) mintedIn.set(m.txHash, (mintedIn.get(m.txHash) ?? 0n) + m.amount);

  let formula = 0;
  let totals = 0;
  let unminted = 0;
  let overPool = 0;
  const withoutPolicy = new Set<string>();
  for (const r of rounds) {
    const items = (byRound.get(roundKey(r.chainRunId, r.round)) ?? []).sort(
      (a, b) => a.logIndex - b.logIndex,
    );
    const sum = items.reduce((s, c) => s + c.reward, 0n);
    if (BigInt(items.length) !== r.contributions || sum !== r.totalReward) totals++;
    if ((mintedIn.get(r.txHash) ?? 0n) !== sum) unminted++;
    const policy = policies.get(lower(r.chainRunId));
    if (!policy) {
      withoutPolicy.add(lower(r.chainRunId));
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
      if (c.reward !== expected[i]) formula++;
    });
    if (sum > policy.poolPerRoundWei) overPool++;
  }
  return { formula, totals, unminted, overPool, withoutPolicy };
}

function checkRegistration(
  chainRunId: Hex,
  reg: LedgerSnapshot["runs"][number] | undefined,
  policy: RewardPolicy | undefined,
  check: (id: AuditCheck["id"], name: string, ok: boolean, detail: string) => void,
): void {
  check(
    "run-registered",
    "run registered on chain",
    !!policy,
    !reg
      ? `no RunRegistered event for ${chainRunId}`
      : policy
        ? `policy ${policy.name}, pool ${policy.poolPerRoundWei} wei/round, sampleWeighted ${policy.sampleWeighted}`
        : `unknown reward policy id ${reg.policyId}`,
  );
}
