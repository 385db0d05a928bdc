import { runDataShape, runDatasetLabel, type RunSummary } from "../../../backend/src/domain/index";
import { useNodes, useRunNodes, useRuns } from "../api/queries";
import { useAgentResources, useRoundResources } from "../api/node-resource-queries";
import { Histogram } from "../components/Histogram";
import { CurrentResourcesTable, RoundResourcesTable } from "../components/NodeResources";
import { ApiErrorNotice, Notice } from "../components/Notice";
import { StatusBadge } from "../components/StatusBadge";
import { AddressText, TxLink } from "../components/ChainLink";
import { useActiveDeployment } from "../chain/use-deployment";
import { useTokenSymbol } from "../chain/use-token";
import { formatTime, formatTokens } from "../format";
import { navigate, type Route } from "../router";
import { activeRun } from "./OverviewPage";

/** The class names of a run's data, when known (own data is named once the coordinator resolved it). */
function classNamesOf(run: RunSummary | undefined): readonly string[] | undefined {
  if (!run) return undefined;
  try {
    return runDataShape(run.config).classNames;
  } catch {
    return undefined;
  }
}

export function NodesPage({ route }: { route: Route }) {
  const nodes = useNodes();
  const runs = useRuns();
  const { chainId, deployment } = useActiveDeployment();
  const symbol = useTokenSymbol(deployment);
  const runId = route.query.get("run") ?? activeRun(runs.data)?.id;
  const runNodes = useRunNodes(runId);
  const run = runs.data?.find((r) => r.id === runId);
  const classNames = classNamesOf(run);
  const agentResources = useAgentResources();
  const roundResources = useRoundResources(runId);
  const hasRemote = (nodes.data ?? []).some((n) => n.kind === "remote");
  const leaderboard = [...(nodes.data ?? [])]
    .filter((n) => n.totals.contributions > 0)
    .sort((a, b) => {
      const d = BigInt(b.totals.rewardWei) - BigInt(a.totals.rewardWei);
      return d > 0n ? 1 : d < 0n ? -1 : b.totals.contributions - a.totals.contributions;
    });

  return (
    <div className="page">
      <h1>Nodes</h1>
      {nodes.isError ? (
        <ApiErrorNotice error={nodes.error} what="nodes" />
      ) : (
        <>
          <section className="card">
            <h2>Contribution leaderboard</h2>
            {leaderboard.length === 0 ? (
              <Notice kind="empty" title="No contributions yet">
                Nodes earn a place here once a round they contributed to is recorded on chain. Start
                a run on the Training page.
              </Notice>
            ) : (
              <ol className="leaderboard" data-testid="leaderboard">
                {leaderboard.map((n, i) => (
                  <li key={n.id}>
                    <span className="rank">{i + 1}</span>
                    <span className="strong">{n.id}</span>
                    <AddressText address={n.wallet} />
                    <span className="muted">{n.totals.contributions} contributions</span>
                    <span className="strong">
                      {formatTokens(n.totals.rewardWei, 2)} {symbol}
                    </span>
                  </li>
                ))}
              </ol>
            )}
          </section>

          <section className="card">
            <h2>Registered nodes</h2>
            {nodes.isPending ? (
              <p className="muted">Loading…</p>
            ) : nodes.data.length === 0 ? (
              <Notice kind="empty" title="No nodes registered">
                Simulated nodes are registered when a run starts; remote nodes join with{" "}
                <code>npm run node</code>.
              </Notice>
            ) : (
              <div className="table-wrap">
                <table data-testid="nodes-table">
                  <thead>
                    <tr>
                      <th>Node</th>
                      <th>Wallet</th>
                      <th>Kind</th>
                      <th>Status</th>
                      <th>Last seen</th>
                      <th>Contributions</th>
                      <th>Rewards ({symbol})</th>
                      <th>Registration</th>
                    </tr>
                  </thead>
                  <tbody>
                    {nodes.data.map((n) => (
                      <tr key={n.id}>
                        <td className="strong">{n.id}</td>
                        <td>
                          <AddressText address={n.wallet} />
                        </td>
                        <td>{n.kind}</td>
                        <td>
                          <StatusBadge status={n.status} />
                          {n.status === "refusing" && n.refusal && (
                            <div className="muted small" data-testid="node-refusal">
                              {n.refusal}
                            </div>
                          )}
                        </td>
                        <td>{formatTime(n.lastSeen)}</td>
                        <td>{n.totals.contributions}</td>
                        <td>{formatTokens(n.totals.rewardWei, 2)}</td>
                        <td>
                          <TxLink hash={n.registrationTx} chainId={chainId} />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>

          {hasRemote && (
            <section className="card" aria-label="Remote agents' resources">
              <h2>Remote agents: resource use</h2>
              {(agentResources.data ?? []).length === 0 ? (
                <p className="muted" data-testid="agent-resources-empty">
                  No remote agent online has reported yet: agents send their CPU, memory, training
                  time, upload size and latency with each progress message while they train.
                </p>
              ) : (
                <CurrentResourcesTable rows={agentResources.data ?? []} />
              )}
            </section>
          )}
        </>
      )}

      <section className="card">
        <div className="card-head">
          <h2>
            Label distribution per node{" "}
            {run && <span className="muted small">{runDatasetLabel(run.config)}</span>}
          </h2>
          {runs.data && runs.data.length > 0 && (
            <label className="field inline">
              <span className="field-label">Run</span>
              <select
                value={runId ?? ""}
                onChange={(e) => navigate("/nodes", { run: e.target.value })}
              >
                {runs.data.map((r) => (
                  <option key={r.id} value={r.id}>
                    {r.name} ({r.id} · {runDatasetLabel(r.config)})
                  </option>
                ))}
              </select>
            </label>
          )}
        </div>
        {!runId ? (
          <p className="muted">
            Each node&apos;s class histogram appears here once there is a run.
          </p>
        ) : runNodes.isError ? (
          <ApiErrorNotice error={runNodes.error} what="the run's nodes" />
        ) : runNodes.isPending ? (
          <p className="muted">Partitioning the data…</p>
        ) : (
          <div className="histogram-grid" data-testid="histograms">
            {runNodes.data.map((n) => (
              <div key={n.nodeId} className={`histogram-card${n.byzantine ? " byzantine" : ""}`}>
                <div className="row">
                  <span className="strong">{n.nodeId}</span>
                  {n.byzantine && <StatusBadge status="failed" label="byzantine" />}
                </div>
                <Histogram
                  counts={n.histogram}
                  label={`${n.nodeId} labels`}
                  classNames={classNames}
                />
                <span className="muted small">{n.samples.toLocaleString("en-US")} samples</span>
              </div>
            ))}
          </div>
        )}
      </section>

      {runId && (
        <section className="card" aria-label="Resources and anomaly flags per round">
          <h2>
            Per round: resources and anomaly flags <span className="muted small">run {runId}</span>
          </h2>
          {roundResources.isError ? (
            <ApiErrorNotice error={roundResources.error} what="the run's rounds" />
          ) : roundResources.isPending ? (
            <p className="muted">Loading the run&apos;s rounds…</p>
          ) : roundResources.data.length === 0 ? (
            <p className="muted">No update of this run has arrived yet.</p>
          ) : (
            <RoundResourcesTable rows={roundResources.data} />
          )}
        </section>
      )}
    </div>
  );
}
