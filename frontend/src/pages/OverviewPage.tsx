import type { RunSummary } from "../../../backend/src/domain/index";
import { useHealth, useNodes, useRuns } from "../api/queries";
import type { Health } from "../api/client";
import { coordinatorProcess } from "../api/node-resource-queries";
import { CoordinatorResources } from "../components/CoordinatorResources";
import { ApiErrorNotice, Notice } from "../components/Notice";
import { ProgressBar } from "../components/ProgressBar";
import { StatusBadge } from "../components/StatusBadge";
import { AddressText } from "../components/ChainLink";
import { useActiveDeployment } from "../chain/use-deployment";
import { useLedger } from "../chain/use-ledger";
import { useTokenSymbol } from "../chain/use-token";
import { chainName } from "../chain/wagmi-config";
import {
  describeFacts,
  formatBytes,
  formatDuration,
  formatNumber,
  formatPercent,
  formatTokens,
} from "../format";
import { href } from "../router";

export function activeRun(runs: readonly RunSummary[] | undefined): RunSummary | undefined {
  if (!runs?.length) return undefined;
  const live = runs.filter(
    (r) =>
      r.status === "running" ||
      r.status === "paused" ||
      r.status === "pending" ||
      r.status === "queued",
  );
  const pool = live.length ? live : runs;
  return [...pool].sort((a, b) => b.createdAt - a.createdAt)[0];
}

function Stat(props: { label: string; value: string; testId?: string; wei?: bigint }) {
  const { label, value, testId, wei } = props;
  return (
    <div className="stat">
      <span className="stat-label">{label}</span>
      <span className="stat-value" data-testid={testId} data-wei={wei?.toString()}>
        {value}
      </span>
    </div>
  );
}

/** The artifact store's disk use (model versions, updates, validation data, specs). */
function ArtifactsUsage({ usage }: { usage: Health["artifacts"] }) {
  if (!usage) return null;
  if ("error" in usage)
    return (
      <>
        <dt>Artifacts</dt>
        <dd className="bad">{usage.error}</dd>
      </>
    );
  const kinds = Object.entries(usage.byKind)
    .sort(([, a], [, b]) => b - a)
    .map(([kind, bytes]) => `${kind}s ${formatBytes(bytes)}`)
    .join(", ");
  return (
    <>
      <dt>Artifacts</dt>
      <dd data-testid="artifacts-usage" data-bytes={usage.bytes}>
        {formatBytes(usage.bytes)} in {usage.files} file(s)
        {kinds && <span className="muted small"> ({kinds})</span>}
      </dd>
    </>
  );
}

export function OverviewPage() {
  const health = useHealth();
  const runs = useRuns();
  const nodes = useNodes();
  const active = useActiveDeployment();
  const ledger = useLedger(active.deployment);
  const symbol = useTokenSymbol(active.deployment);
  const run = activeRun(runs.data);
  const h = health.data;
  const totalReward = ledger.data?.contributions.reduce((s, c) => s + c.reward, 0n);
  const totalClaimed = ledger.data?.claims.reduce((s, c) => s + c.amount, 0n);

  return (
    <div className="page">
      <h1>Overview</h1>
      {health.isError && <ApiErrorNotice error={health.error} what="the coordinator's health" />}
      {active.stale && (
        <Notice kind="warn" title="Dashboard deployment file is out of date">
          The coordinator uses other contract addresses than chain/deployments/{active.chainId}
          .json; the dashboard follows the coordinator. Restart <code>npm start</code> to rewrite
          the file.
        </Notice>
      )}
      {h?.chain.reset && (
        <Notice kind="error" title="The chain was reset: chain writes are paused">
          <span data-testid="chain-reset">{h.chain.reset.reason}</span>
          <ol className="small">
            {h.chain.reset.choices.map((c) => (
              <li key={c}>{c}</li>
            ))}
          </ol>
        </Notice>
      )}
      {h && h.status === "degraded" && !h.chain.reset && (h.problems?.length ?? 0) > 0 && (
        <Notice kind="warn" title="Degraded">
          <ul className="small" data-testid="health-problems">
            {h.problems!.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        </Notice>
      )}
      <div className="grid-3">
        <section className="card" aria-label="Coordinator">
          <h2>
            Coordinator{" "}
            <StatusBadge status={h ? h.status : health.isPending ? "pending" : "down"} />
          </h2>
          {h ? (
            <dl className="kv">
              <dt>Uptime</dt>
              <dd>{formatDuration(h.uptimeSeconds * 1000)}</dd>
              <dt>Store</dt>
              <dd>
                {h.store.ok ? (
                  <>
                    {h.store.dialect}, schema v{h.store.schemaVersion}
                  </>
                ) : (
                  <span className="bad">{h.store.error ?? "store unavailable"}</span>
                )}
              </dd>
              <dt>Location</dt>
              <dd className="mono small">{h.store.location}</dd>
              <ArtifactsUsage usage={h.artifacts} />
              {h.outbox && !h.outbox.error && typeof h.outbox.pending === "number" && (
                <>
                  <dt>Outbox</dt>
                  <dd>
                    {h.outbox.pending} transaction(s) waiting
                    {typeof h.outbox.failed === "number" && h.outbox.failed > 0 && (
                      <span className="bad" data-testid="outbox-failed">
                        {" "}
                        · {h.outbox.failed} failed for good (see /api/outbox?status=failed)
                      </span>
                    )}
                  </dd>
                </>
              )}
            </dl>
          ) : (
            <p className="muted">
              {health.isPending ? "Asking the coordinator…" : "Not answering."}
            </p>
          )}
        </section>
        <section className="card" aria-label="Chain">
          <h2>
            Chain{" "}
            <StatusBadge
              status={
                h
                  ? h.chain.reachable && h.chain.contractsDeployed
                    ? "ok"
                    : h.chain.reachable
                      ? "degraded"
                      : "down"
                  : ledger.isSuccess
                    ? "ok"
                    : ledger.isError
                      ? "down"
                      : "pending"
              }
              label={
                h
                  ? h.chain.reachable
                    ? h.chain.contractsDeployed
                      ? "ok"
                      : "no contracts"
                    : "down"
                  : undefined
              }
            />
          </h2>
          {h && !h.chain.reachable && (
            <Notice kind="error" title="Chain down">
              {h.chain.error ?? "The coordinator cannot reach the chain."} Start it with{" "}
              <code>npm start</code> (or <code>npm run chain</code>).
            </Notice>
          )}
          {h?.chain.reachable && !h.chain.contractsDeployed && (
            <Notice kind="warn" title="Contracts missing">
              {h.chain.error ?? "Deploy with `npm run deploy:local`."}
            </Notice>
          )}
          <dl className="kv">
            <dt>Network</dt>
            <dd>
              {chainName(active.chainId)}{" "}
              {active.chainId !== undefined && <span className="muted">({active.chainId})</span>}
            </dd>
            {h?.chain.blockNumber !== undefined && (
              <>
                <dt>Block</dt>
                <dd>#{h.chain.blockNumber}</dd>
              </>
            )}
            <dt>Ledger</dt>
            <dd>
              <AddressText address={active.deployment?.contracts.ContributionLedger.address} />
            </dd>
            <dt>Token</dt>
            <dd>
              <AddressText address={active.deployment?.contracts.RewardToken.address} />
            </dd>
          </dl>
          {!active.deployment && (
            <p className="muted">
              No deployment known: <code>npm start</code> deploys the contracts locally.
            </p>
          )}
        </section>
        <section className="card" aria-label="Training engine">
          <h2>Engine</h2>
          {h ? (
            h.engine.error ? (
              <Notice kind="error" title="Engine unavailable">
                {h.engine.error}
              </Notice>
            ) : (
              <dl className="kv" data-testid="engine-facts">
                {describeFacts(h.engine).map(({ label, value }) => (
                  <div key={label} className="kv-row">
                    <dt>{label}</dt>
                    <dd>{value}</dd>
                  </div>
                ))}
              </dl>
            )
          ) : (
            <p className="muted">Unknown while the coordinator is down.</p>
          )}
        </section>
      </div>

      <CoordinatorResources usage={coordinatorProcess(h)} pending={health.isPending} />

      <section className="card" aria-label="Active run">
        <h2>Active run</h2>
        {runs.isError ? (
          <ApiErrorNotice error={runs.error} what="runs" />
        ) : run ? (
          <div className="active-run" data-testid="active-run">
            <div className="row">
              <a href={href("/training", { run: run.id })} className="strong">
                {run.name}
              </a>
              <StatusBadge status={run.status} />
              <span className="muted mono">{run.id}</span>
            </div>
            <ProgressBar
              value={run.totalRounds ? run.completedRounds / run.totalRounds : 0}
              label="Rounds"
              detail={`${run.completedRounds} / ${run.totalRounds}`}
            />
            <div className="stats">
              <Stat label="Test accuracy" value={formatPercent(run.latest?.testAccuracy)} />
              <Stat label="Test loss" value={formatNumber(run.latest?.testLoss)} />
              <Stat label="Strategy" value={run.config.strategy.name} />
              <Stat label="Nodes" value={String(run.config.numNodes)} />
            </div>
            {run.error && (
              <Notice kind="error" title="Run failed">
                {run.error}
              </Notice>
            )}
          </div>
        ) : runs.isPending ? (
          <p className="muted">Loading…</p>
        ) : (
          <Notice
            kind="empty"
            title="No runs yet"
            action={
              <a className="button primary" href={href("/training")}>
                Configure a run
              </a>
            }
          >
            Start a federated training run from the Training page; its rounds, contributions and
            rewards appear here live.
          </Notice>
        )}
      </section>

      <section className="card" aria-label="Totals">
        <h2>Totals</h2>
        <div className="stats">
          <Stat
            label="Runs"
            value={runs.data ? String(runs.data.length) : "—"}
            testId="total-runs"
          />
          <Stat
            label="Rounds completed"
            value={runs.data ? String(runs.data.reduce((s, r) => s + r.completedRounds, 0)) : "—"}
          />
          <Stat label="Registered nodes" value={nodes.data ? String(nodes.data.length) : "—"} />
          <Stat
            label="Contributions on chain"
            value={ledger.data ? String(ledger.data.contributions.length) : "—"}
            testId="total-contributions"
          />
          <Stat
            label={`Rewarded (${symbol})`}
            value={formatTokens(totalReward, 2)}
            testId="total-rewarded"
            wei={totalReward}
          />
          <Stat
            label={`Claimed (${symbol})`}
            value={formatTokens(totalClaimed, 2)}
            testId="total-claimed"
            wei={totalClaimed}
          />
        </div>
        {ledger.isError && (
          <Notice kind="error" title="Chain down">
            Could not read the ledger from the chain (
            {(ledger.error.message.split("\n")[0] ?? "").replace(/\.+$/, "")}). Is the local chain
            running? Start it with <code>npm start</code>.
          </Notice>
        )}
      </section>
    </div>
  );
}
