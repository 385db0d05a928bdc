import { useMemo } from "react";
import { contributionKey, useFlaggedContributions } from "../api/alert-queries";
import { useContributionTotals, useNodes, useRuns } from "../api/queries";
import { AddressText, BlockLink, TxLink } from "../components/ChainLink";
import { Notice } from "../components/Notice";
import { RoundReexecution } from "../components/RoundReexecution";
import type { Hex } from "viem";
import { auditLedger, type AuditCheck } from "../../../backend/src/audit/ledger-audit";
import type { ChainRun } from "../../../backend/src/chain/ledger-events";
import { REWARD_POLICIES, type UpdateAnomaly } from "../../../backend/src/domain/index";
import { useActiveDeployment } from "../chain/use-deployment";
import { useLedger } from "../chain/use-ledger";
import { useTokenSymbol } from "../chain/use-token";
import { chainName } from "../chain/wagmi-config";
import { formatNumber, formatTokens, fromFixed18, shortHex } from "../format";
import { navigate, type Route } from "../router";

const firstLine = (m: string) => (m.split("\n")[0] ?? m).replace(/\.+$/, "");

const SAMPLE_WEIGHTED = REWARD_POLICIES.filter((p) => p.sampleWeighted)
  .map((p) => p.id)
  .join(", ");

function Formula({ run, symbol }: { run: ChainRun | undefined; symbol: string }) {
  const p = run?.policy;
  return (
    <section className="card formula" aria-label="Reward formula">
      <h2>Reward formula</h2>
      <pre className="formula-text">
        {`score_i  = w_i × max(0, lossBefore_i − lossAfter_i)
w_i      = samples_i  (sample-weighted: ${SAMPLE_WEIGHTED}), else 1
pool     = poolPerRound + carried
reward_i = ⌊ pool × score_i / Σ_j score_j ⌋   (all 0 when Σ = 0)
carried  = what the run's previous recorded round did not pay`}
      </pre>
      <p className="muted small">
        Losses are measured by the coordinator on its own validation split (never reported by nodes)
        and recorded on chain as 18-decimal fixed point. The policy and its parameters are
        registered on chain with each run (RunRegistered), so anyone can re-derive every reward
        below from the events alone, as this page does. What lossBefore and lossAfter are depends on
        the policy:
      </p>
      <dl className="kv small" data-testid="policy-losses">
        {REWARD_POLICIES.map((entry) => (
          <div className="kv-row" key={entry.id}>
            <dt className="mono">{entry.id}</dt>
            <dd>{entry.losses}</dd>
          </div>
        ))}
      </dl>
      <p className="muted small">
        Zero-score rule (carry-over): nothing of a round&apos;s pool is lost. A round where every
        score is 0 (nobody lowered the loss, or a loss the ledger cannot hold zeroed the scores)
        pays nothing and its whole pool goes to the run&apos;s next recorded round, with the
        rounding dust of any round. Runs registered before the rule (rule &quot;none&quot;) mint
        nothing for such a round.
      </p>
      <p className="muted small">
        aggregate-loss is what secure aggregation runs pay: the coordinator sees only the sum of the
        updates, so it pays every node in the sum by its signed sample count when the round helped,
        not for the quality of its own update, which nobody can measure.
      </p>
      {p ? (
        <dl className="kv" data-testid="run-policy">
          <dt>Policy</dt>
          <dd>{p.name}</dd>
          <dt>Pool per round</dt>
          <dd>
            {formatTokens(p.poolPerRoundWei)} {symbol}
          </dd>
          <dt>Losses</dt>
          <dd>{REWARD_POLICIES.find((entry) => entry.id === p.name)?.losses}</dd>
          <dt>Sample-weighted</dt>
          <dd>{p.sampleWeighted ? "yes" : "no"}</dd>
          <dt>Zero-score rule</dt>
          <dd>{p.zeroScoreRule}</dd>
          {p.permutations > 0 && !("permutations" in p.params) && (
            <>
              <dt>permutations</dt>
              <dd>{p.permutations}</dd>
            </>
          )}
          {Object.entries(p.params).map(([name, value]) => (
            <div className="kv-row" key={name}>
              <dt>{name}</dt>
              <dd>{value}</dd>
            </div>
          ))}
          <dt>Validation samples</dt>
          <dd>{p.validationSize.toLocaleString("en-US")}</dd>
        </dl>
      ) : (
        run && <p className="bad">This run&apos;s policy id is not one this dashboard knows.</p>
      )}
    </section>
  );
}

const zText = (z: number | null) => (z === null ? "— (too little history)" : z.toFixed(2));

/** An update the run's anomaly screening flagged (stored with its contribution), scores in the title. */
export function AnomalyTag({ anomaly }: { anomaly: UpdateAnomaly }) {
  const title =
    `Flagged by the run's anomaly screening: norm ${formatNumber(anomaly.norm)} (robust z ${zText(anomaly.normZ)}), ` +
    `cosine to the round's mean update ${formatNumber(anomaly.cosine, 3)} (robust z ${zText(anomaly.cosineZ)}). ` +
    (anomaly.excluded
      ? "Left out of the aggregate (anomaly.exclude)."
      : "Still aggregated (anomaly.exclude is off).");
  return (
    <span className="anomaly-tag" data-testid="anomaly-tag" title={title}>
      anomalous{anomaly.excluded ? " · excluded" : ""}
    </span>
  );
}

/** The store confirming a round a moment after its block is a lag, not a fault: amber, not red. */
function checkClass(c: AuditCheck): string {
  if (c.ok) return "ok";
  return c.id === "store-totals" ? "warn" : "bad";
}

export function LedgerPage({ route }: { route: Route }) {
  const active = useActiveDeployment();
  const ledger = useLedger(active.deployment);
  const runs = useRuns();
  const nodes = useNodes();
  const symbol = useTokenSymbol(active.deployment);
  const runFilter = route.query.get("run") ?? "";
  const roundFilter = route.query.get("round") ?? "";
  const nodeFilter = (route.query.get("node") ?? "").toLowerCase();

  const runByChainId = useMemo(() => {
    const m = new Map<string, { id: string; name: string }>();
    for (const r of runs.data ?? [])
      if (r.chainRunId) m.set(r.chainRunId.toLowerCase(), { id: r.id, name: r.name });
    return m;
  }, [runs.data]);
  const nodeByWallet = useMemo(() => {
    const m = new Map<string, string>();
    for (const n of nodes.data ?? []) m.set(n.wallet.toLowerCase(), n.id);
    return m;
  }, [nodes.data]);

  const setFilter = (patch: Record<string, string>) =>
    navigate("/ledger", { run: runFilter, round: roundFilter, node: nodeFilter, ...patch });

  const snapshot = ledger.data;
  const chainRuns = snapshot?.runs ?? [];
  const selectedChainRun = chainRuns.find(
    (r) => r.chainRunId.toLowerCase() === runFilter.toLowerCase(),
  );
  const filtered = useMemo(() => {
    const list = snapshot?.contributions ?? [];
    return list
      .filter((c) => !runFilter || c.chainRunId.toLowerCase() === runFilter.toLowerCase())
      .filter((c) => !roundFilter || c.round === Number(roundFilter))
      .filter((c) => !nodeFilter || c.node.toLowerCase() === nodeFilter)
      .sort((a, b) =>
        a.blockNumber === b.blockNumber
          ? a.logIndex - b.logIndex
          : a.blockNumber > b.blockNumber
            ? -1
            : 1,
      );
  }, [snapshot, runFilter, roundFilter, nodeFilter]);

  const inRun = (id: string) => !runFilter || id.toLowerCase() === runFilter.toLowerCase();
  const chainTotal = snapshot?.contributions
    .filter((c) => inRun(c.chainRunId))
    .reduce((s, c) => s + c.reward, 0n);
  const filteredTotal = filtered.reduce((s, c) => s + c.reward, 0n);

  const storeRunId = runFilter ? runByChainId.get(runFilter.toLowerCase())?.id : undefined;
  // A run the coordinator does not know (another store's, or another coordinator's) has nothing to
  // compare. The store confirms a round a moment after its block and the chain is read more often:
  // while the two disagree, read the store's totals every second so the check settles quickly.
  const storeComparable = !runFilter || !!storeRunId;
  const store = useContributionTotals(storeRunId, {
    enabled: storeComparable,
    pollMs: (t) =>
      chainTotal !== undefined && t && BigInt(t.recordedWei) !== chainTotal ? 1_000 : 6_000,
  });
  // The anomaly flags are the store's (the chain records no such thing), joined by round and update.
  const flagged = useFlaggedContributions(storeRunId, { enabled: storeComparable });
  const anomalyOf = (c: { round: number; updateHash: string }) =>
    flagged.data?.get(contributionKey(c.round, c.updateHash));
  const anomalousShown = filtered.filter((c) => anomalyOf(c)).length;
  // The audit `npm run audit` runs, on the snapshot this page read (backend/src/audit/ledger-audit.ts).
  const audit = useMemo(() => {
    if (!snapshot) return undefined;
    return auditLedger(snapshot, {
      ...(runFilter ? { chainRunId: runFilter as Hex } : {}),
      ...(storeComparable && store.data ? { store: { totals: store.data } } : {}),
    });
  }, [snapshot, runFilter, storeComparable, store.data]);

  const runLabel = (chainRunId: string) =>
    runByChainId.get(chainRunId.toLowerCase())?.name ?? shortHex(chainRunId, 10, 4);
  const rounds = [
    ...new Set(
      (snapshot?.contributions ?? [])
        .filter((c) => !runFilter || c.chainRunId.toLowerCase() === runFilter.toLowerCase())
        .map((c) => c.round),
    ),
  ].sort((a, b) => a - b);
  const wallets = [...new Set((snapshot?.contributions ?? []).map((c) => c.node.toLowerCase()))];

  if (!active.deployment)
    return (
      <div className="page">
        <h1>Ledger</h1>
        <Notice kind="empty" title="No contracts deployed">
          The dashboard knows no deployment for {chainName(active.chainId)}. Start the stack with{" "}
          <code>npm start</code>: it deploys the contracts to the local chain and writes
          chain/deployments/31337.json.
        </Notice>
      </div>
    );

  return (
    <div className="page">
      <h1>Ledger</h1>
      <p className="muted">
        Contribution events read directly from the ContributionLedger contract at{" "}
        <AddressText address={active.deployment.contracts.ContributionLedger.address} /> on{" "}
        {chainName(active.chainId)}
        {snapshot && <> (as of block #{snapshot.blockNumber.toString()})</>}.
      </p>
      {ledger.isError && (
        <Notice kind="error" title="Chain down">
          Could not read the ledger ({firstLine(ledger.error.message)}). Is the chain running? Start
          it with <code>npm start</code>; this page retries on its own.
        </Notice>
      )}

      <div className="grid-2">
        <Formula run={selectedChainRun} symbol={symbol} />
        <section className="card" aria-label="Audit">
          <h2>Totals and audit</h2>
          {audit ? (
            <>
              <div className="stats">
                <div className="stat">
                  <span className="stat-label">Contributions</span>
                  <span className="stat-value" data-testid="ledger-count">
                    {audit.contributions}
                  </span>
                </div>
                <div className="stat">
                  <span className="stat-label">Rounds</span>
                  <span className="stat-value">{audit.rounds}</span>
                </div>
                <div className="stat">
                  <span className="stat-label">Rewarded</span>
                  <span
                    className="stat-value"
                    data-testid="ledger-total"
                    data-wei={audit.totalReward.toString()}
                  >
                    {formatTokens(audit.totalReward)} <small>{symbol}</small>
                  </span>
                </div>
              </div>
              <ul className="checks" data-testid="audit-checks">
                {audit.checks.map((c) => (
                  <li key={c.id} className={checkClass(c)} title={c.detail}>
                    {c.name}
                    {!c.ok && <span className="small">: {c.detail}</span>}
                  </li>
                ))}
              </ul>
              <p className="muted small">
                The same audit runs from the command line, with the stored contributions compared
                one by one: <code>npm run audit</code>.
              </p>
            </>
          ) : (
            <p className="muted">
              {ledger.isPending ? "Reading events…" : "Unavailable while the chain is down."}
            </p>
          )}
        </section>
      </div>

      {snapshot && selectedChainRun && (
        <RoundReexecution
          key={selectedChainRun.chainRunId}
          snapshot={snapshot}
          chainRunId={selectedChainRun.chainRunId}
        />
      )}

      <section className="card">
        <div className="filters" role="search">
          <label className="field inline">
            <span className="field-label">Run</span>
            <select
              value={runFilter}
              onChange={(e) => setFilter({ run: e.target.value, round: "" })}
              data-testid="filter-run"
            >
              <option value="">All runs</option>
              {chainRuns.map((r) => (
                <option key={r.chainRunId} value={r.chainRunId}>
                  {runLabel(r.chainRunId)}
                </option>
              ))}
            </select>
          </label>
          <label className="field inline">
            <span className="field-label">Round</span>
            <select
              value={roundFilter}
              onChange={(e) => setFilter({ round: e.target.value })}
              data-testid="filter-round"
            >
              <option value="">All rounds</option>
              {rounds.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          </label>
          <label className="field inline">
            <span className="field-label">Node</span>
            <select
              value={nodeFilter}
              onChange={(e) => setFilter({ node: e.target.value })}
              data-testid="filter-node"
            >
              <option value="">All nodes</option>
              {wallets.map((w) => (
                <option key={w} value={w}>
                  {nodeByWallet.get(w) ?? shortHex(w)}
                </option>
              ))}
            </select>
          </label>
          {(runFilter || roundFilter || nodeFilter) && (
            <button type="button" className="button ghost" onClick={() => navigate("/ledger")}>
              Clear filters
            </button>
          )}
          <span className="muted small filters-total">
            {filtered.length} shown · {formatTokens(filteredTotal)} {symbol}
            {anomalousShown > 0 && (
              <span className="anomaly-count"> · {anomalousShown} anomalous</span>
            )}
          </span>
        </div>
        {snapshot && snapshot.contributions.length === 0 ? (
          <Notice kind="empty" title="No contributions recorded yet">
            Each aggregated round is recorded in one transaction. Start a run on the Training page
            and its contributions appear here within seconds of each round.
          </Notice>
        ) : (
          filtered.length > 0 && (
            <div className="table-wrap">
              <table data-testid="ledger-table">
                <thead>
                  <tr>
                    <th>Run</th>
                    <th>Round</th>
                    <th>Node</th>
                    <th className="num">Samples</th>
                    <th className="num">Loss before → after</th>
                    <th className="num">Reward ({symbol})</th>
                    <th>Tx</th>
                    <th>Block</th>
                  </tr>
                </thead>
                <tbody>
                  {filtered.map((c) => {
                    const anomaly = anomalyOf(c);
                    return (
                      <tr
                        key={`${c.txHash}:${c.logIndex}`}
                        className={anomaly ? "anomalous" : undefined}
                      >
                        <td>{runLabel(c.chainRunId)}</td>
                        <td>{c.round}</td>
                        <td>
                          <span className="strong">
                            {nodeByWallet.get(c.node.toLowerCase()) ?? ""}
                          </span>{" "}
                          <AddressText address={c.node} />
                          {anomaly && (
                            <>
                              {" "}
                              <AnomalyTag anomaly={anomaly} />
                            </>
                          )}
                        </td>
                        <td className="num">{c.samples.toString()}</td>
                        <td className="num">
                          {formatNumber(fromFixed18(c.lossBefore))} →{" "}
                          {formatNumber(fromFixed18(c.lossAfter))}
                        </td>
                        <td className="num strong">{formatTokens(c.reward)}</td>
                        <td>
                          <TxLink hash={c.txHash} chainId={active.chainId} />
                        </td>
                        <td>
                          <BlockLink block={c.blockNumber} chainId={active.chainId} />
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          )
        )}
        {snapshot && snapshot.contributions.length > 0 && filtered.length === 0 && (
          <Notice kind="empty" title="Nothing matches these filters">
            Clear a filter to see more contributions.
          </Notice>
        )}
      </section>
    </div>
  );
}
