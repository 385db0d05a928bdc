import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useMemo, useState } from "react";
import {
  runDatasetLabel,
  type CreateRunRequest,
  type RoundRecord,
  type RunStatus,
  type RunSummary,
} from "../../../backend/src/domain/index";
import { api, errorMessage } from "../api/client";
import { queryKeys, useRounds, useRuns } from "../api/queries";
import { roundFraction, type RoundPoint, type RunProgress } from "../api/run-progress";
import { useRunEvents, type StreamState } from "../api/use-run-events";
import { AdminTokenField } from "../components/AdminTokenField";
import { AlertRunList } from "../components/AlertRunList";
import { LineChart } from "../components/LineChart";
import { ApiErrorNotice, Notice } from "../components/Notice";
import { ProgressBar } from "../components/ProgressBar";
import { ModelsSection } from "../components/models/ModelsSection";
import { RunForm } from "../components/run-form/RunForm";
import { SavedPresets } from "../components/run-form/SavedPresets";
import { RunDownloads } from "../components/RunDownloads";
import { RunLog } from "../components/RunLog";
import { RunPrivacy, aggregationOf } from "../components/RunPrivacy";
import { RunTraffic, formatRoundTraffic } from "../components/RunTraffic";
import { StatusBadge } from "../components/StatusBadge";
import { TxLink } from "../components/ChainLink";
import { formatDuration, formatNumber, formatPercent, formatTokens } from "../format";
import { href, navigate, type Route } from "../router";
import { continueRequest } from "../run-request";
import { activeRun } from "./OverviewPage";
import { useActiveDeployment } from "../chain/use-deployment";

/** Rounds from the store, overlaid with what the live stream has seen since. */
export function mergeRounds(
  stored: readonly RoundRecord[] | undefined,
  live: readonly RoundPoint[],
): RoundPoint[] {
  const byRound = new Map<number, RoundPoint>();
  for (const r of stored ?? []) {
    if (r.testLoss === null || r.testAccuracy === null) continue;
    byRound.set(r.round, {
      round: r.round,
      testLoss: r.testLoss,
      testAccuracy: r.testAccuracy,
      accepted: r.updates.filter((u) => u.accepted).length,
      rejected: r.updates.filter((u) => !u.accepted).length,
      durationMs: r.durationMs ?? 0,
      modelHash: r.modelHash ?? "",
      txHash: r.txHash ?? undefined,
      totalRewardWei: r.updates.reduce((s, u) => s + BigInt(u.reward ?? "0"), 0n).toString(),
      ...(r.traffic ? { traffic: r.traffic } : {}),
    });
  }
  for (const p of live) {
    const prev = byRound.get(p.round);
    byRound.set(p.round, {
      ...prev,
      ...p,
      txHash: p.txHash ?? prev?.txHash,
      totalRewardWei: p.totalRewardWei ?? prev?.totalRewardWei,
      ...((p.traffic ?? prev?.traffic) ? { traffic: p.traffic ?? prev?.traffic } : {}),
    });
  }
  return [...byRound.values()].sort((a, b) => a.round - b.round);
}

function RunControls({ run }: { run: RunSummary }) {
  const qc = useQueryClient();
  const control = useMutation({
    mutationFn: (action: "pause" | "resume" | "stop") => api.controlRun(run.id, action),
    onSettled: () => qc.invalidateQueries({ queryKey: queryKeys.runs }),
  });
  const live = run.status === "running" || run.status === "pending" || run.status === "queued";
  return (
    <div className="row run-controls">
      {live && (
        <button
          type="button"
          className="button"
          disabled={control.isPending}
          onClick={() => control.mutate("pause")}
          data-testid="pause-run"
        >
          Pause
        </button>
      )}
      {run.status === "paused" && (
        <button
          type="button"
          className="button"
          disabled={control.isPending}
          onClick={() => control.mutate("resume")}
          data-testid="resume-run"
        >
          Resume
        </button>
      )}
      {(live || run.status === "paused") && (
        <button
          type="button"
          className="button danger"
          disabled={control.isPending}
          onClick={() => {
            if (window.confirm(`Stop ${run.name}? A stopped run cannot be resumed.`))
              control.mutate("stop");
          }}
          data-testid="stop-run"
        >
          Stop
        </button>
      )}
      {!live && run.status !== "paused" && <ArchiveButton run={run} />}
      {control.isError && (
        <span className="wallet-error" role="alert">
          {errorMessage(control.error)}
        </span>
      )}
    </div>
  );
}

/** Admin: hide a finished run from the listings (its data stays in the store and on chain). */
function ArchiveButton({ run }: { run: RunSummary }) {
  const qc = useQueryClient();
  const archive = useMutation({
    mutationFn: () => api.archiveRun(run.id, "archive"),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: queryKeys.runs });
      navigate("/training");
    },
  });
  return (
    <>
      <button
        type="button"
        className="button"
        disabled={archive.isPending}
        title="Hide this run from the listings; its rounds and contributions stay in the store and on chain"
        onClick={() => {
          if (window.confirm(`Archive ${run.name}? It leaves the run listings; its data is kept.`))
            archive.mutate();
        }}
        data-testid="archive-run"
      >
        Archive
      </button>
      {archive.isError && (
        <span className="wallet-error" role="alert">
          {errorMessage(archive.error)}
        </span>
      )}
    </>
  );
}

function streamLabel(s: StreamState): string {
  return s === "live"
    ? "live"
    : s === "connecting"
      ? "connecting…"
      : s === "reconnecting"
        ? "reconnecting…"
        : "";
}

function LiveRound({ progress, run }: { progress: RunProgress; run: RunSummary }) {
  const round = progress.currentRound;
  const finished =
    run.status === "completed" || run.status === "stopped" || run.status === "failed";
  if (round === null)
    return (
      <p className="muted">
        {finished ? "The run is over." : "Waiting for the first round to start…"}
      </p>
    );
  const nodes = progress.participants
    .map((id) => progress.nodes[id])
    .filter((n) => n !== undefined);
  const done = nodes.filter((n) => n.state === "accepted" || n.state === "rejected").length;
  return (
    <div className="live-round" data-testid="live-round">
      <ProgressBar
        value={roundFraction(progress)}
        label={`Round ${round} of ${run.totalRounds}`}
        detail={`${done} / ${nodes.length} updates in`}
      />
      <div className="node-progress-grid">
        {nodes.map((n) => (
          <ProgressBar
            key={n.nodeId}
            value={n.fraction}
            label={n.nodeId}
            tone={
              n.state === "accepted"
                ? "ok"
                : n.state === "rejected"
                  ? "bad"
                  : n.state === "waiting"
                    ? "muted"
                    : "default"
            }
            detail={
              n.state === "accepted"
                ? "accepted"
                : n.state === "rejected"
                  ? `rejected${n.reason ? `: ${n.reason}` : ""}`
                  : n.state === "waiting"
                    ? "waiting"
                    : `epoch ${n.epoch + 1}, batch ${n.batch}/${n.batches}${n.loss !== null ? `, loss ${n.loss.toFixed(3)}` : ""}`
            }
          />
        ))}
      </div>
    </div>
  );
}

function RunView({ run, onStatus }: { run: RunSummary; onStatus: (s: RunStatus) => void }) {
  const rounds = useRounds(run.id);
  const { progress, stream } = useRunEvents(run.id, run.config.localEpochs);
  const points = useMemo(
    () => mergeRounds(rounds.data, progress.rounds),
    [rounds.data, progress.rounds],
  );
  const status = progress.status ?? run.status;
  // The run selector's chip follows the live stream too, not only the runs list's polling.
  useEffect(() => onStatus(status), [status, onStatus]);
  const { chainId } = useActiveDeployment();
  const completed = Math.max(run.completedRounds, points.length);

  return (
    <div className="run-view" data-testid="run-view" data-run-id={run.id}>
      <section className="card">
        <div className="card-head">
          <h2>
            {run.name} <StatusBadge status={status} />
          </h2>
          <span className="muted small">
            <span className={`dot dot-${stream === "live" ? "ok" : "muted"}`} /> events{" "}
            {streamLabel(stream)}
          </span>
        </div>
        <p className="muted small mono">
          {run.id} · {runDatasetLabel(run.config)} · {run.config.model} ·{" "}
          {run.config.partition.kind} · {run.config.strategy.name} · {run.config.numNodes} nodes, C
          = {run.config.fraction}, E = {run.config.localEpochs}, B = {run.config.batchSize} ·{" "}
          {aggregationOf(run.config).mode} aggregation{run.config.privacy ? " · DP-FedAvg" : ""}
        </p>
        <RunControls run={{ ...run, status }} />
        <RunDownloads runId={run.id} />
        <AlertRunList runId={run.id} />
        {(progress.error ?? run.error) && (
          <Notice kind="error" title="Run failed">
            {progress.error ?? run.error}
          </Notice>
        )}
        {run.status === "queued" && (
          <Notice kind="empty" title="Queued">
            <span data-testid="queue-position">
              Waiting for a place: position {run.queuePosition ?? "?"} in the queue. The coordinator
              trains at most MAX_CONCURRENT_RUNS runs at once and starts queued ones in order.
            </span>
          </Notice>
        )}
        {run.chainWrites.failed > 0 && (
          <Notice kind="error" title="Chain writes failed">
            <span data-testid="chain-writes-failed">
              {run.chainWrites.failed} of this run&apos;s chain writes failed for good and will not
              be retried: {run.chainWrites.lastError}. Other runs are not held back. GET
              /api/outbox?status=failed lists them.
            </span>
          </Notice>
        )}
        <ProgressBar
          value={run.totalRounds ? completed / run.totalRounds : 0}
          label="Run"
          detail={`${completed} / ${run.totalRounds} rounds`}
          tone={status === "completed" ? "ok" : "default"}
        />
        <LiveRound progress={progress} run={{ ...run, status }} />
      </section>

      <div className="grid-2">
        <section className="card">
          <LineChart
            title="Test accuracy"
            xLabel="Round"
            yDomain={[0, 1]}
            yFormat={(y) => `${Math.round(y * 100)}%`}
            series={[
              {
                name: "accuracy",
                color: "var(--chart-1)",
                points: points.map((p) => ({ x: p.round, y: p.testAccuracy })),
              },
            ]}
            emptyText="The accuracy of the global model appears here after the first round."
            download={run.id}
          />
        </section>
        <section className="card">
          <LineChart
            title="Test loss"
            xLabel="Round"
            yFormat={(y) => y.toFixed(2)}
            series={[
              {
                name: "loss",
                color: "var(--chart-2)",
                points: points.map((p) => ({ x: p.round, y: p.testLoss })),
              },
            ]}
            emptyText="The loss of the global model appears here after the first round."
            download={run.id}
          />
        </section>
      </div>

      <RunPrivacy run={run} rounds={rounds.data} />
      <RunTraffic run={run} rounds={points} />

      <div className="grid-2">
        <section className="card">
          <h2>Rounds</h2>
          {rounds.isError && <ApiErrorNotice error={rounds.error} what="rounds" />}
          {points.length === 0 ? (
            <p className="muted">No round finished yet.</p>
          ) : (
            <div className="table-wrap">
              <table data-testid="rounds-table">
                <thead>
                  <tr>
                    <th>Round</th>
                    <th>Accuracy</th>
                    <th>Loss</th>
                    <th>Accepted</th>
                    <th>Time</th>
                    <th title="Bytes per node uploaded / downloaded, with the compression ratio (raw float32 ÷ sent)">
                      Up / down
                    </th>
                    <th>Reward</th>
                    <th>Tx</th>
                  </tr>
                </thead>
                <tbody>
                  {[...points].reverse().map((p) => (
                    <tr key={p.round}>
                      <td>{p.round}</td>
                      <td>{formatPercent(p.testAccuracy, 2)}</td>
                      <td>{formatNumber(p.testLoss)}</td>
                      <td>
                        {p.accepted}
                        {p.rejected > 0 && <span className="bad"> / {p.rejected} rejected</span>}
                      </td>
                      <td>{formatDuration(p.durationMs)}</td>
                      <td className="mono small" data-testid="round-traffic">
                        {formatRoundTraffic(p.traffic)}
                      </td>
                      <td>{p.totalRewardWei ? formatTokens(p.totalRewardWei, 2) : "—"}</td>
                      <td>
                        <TxLink hash={p.txHash} chainId={chainId} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </section>
        <section className="card">
          <h2>Log</h2>
          <RunLog lines={progress.log} />
        </section>
      </div>

      <ModelsSection run={{ ...run, status }} chainId={chainId} />
    </div>
  );
}

export function TrainingPage({ route }: { route: Route }) {
  const runs = useRuns();
  const qc = useQueryClient();
  const [showForm, setShowForm] = useState(false);
  const create = useMutation({
    mutationFn: (req: CreateRunRequest) => api.createRun(req),
    onSuccess: (run) => {
      void qc.invalidateQueries({ queryKey: queryKeys.runs });
      setShowForm(false);
      navigate("/training", { run: run.id });
    },
  });
  // "Continue from this version" links here with ?from=<run>&round=<n>: the form opens with that
  // run's configuration, starting from the version.
  const from = route.query.get("from") ?? undefined;
  const fromRound = Number(route.query.get("round"));
  const source = from ? runs.data?.find((r) => r.id === from) : undefined;
  const continuing =
    source && Number.isInteger(fromRound) ? continueRequest(source, fromRound) : undefined;
  useEffect(() => {
    if (from) window.scrollTo(0, 0);
  }, [from, fromRound]);
  const selectedId = route.query.get("run") ?? from ?? activeRun(runs.data)?.id;
  const [live, setLive] = useState<{ id: string; status: RunStatus }>();
  const onStatus = useCallback(
    (status: RunStatus) => {
      if (!selectedId) return;
      setLive((prev) => {
        // A status change seen on the stream: refresh the list rather than wait for its poll.
        if (prev?.id === selectedId && prev.status !== status)
          void qc.invalidateQueries({ queryKey: queryKeys.runs });
        return { id: selectedId, status };
      });
    },
    [selectedId, qc],
  );
  const selected = runs.data?.find((r) => r.id === selectedId);
  const sorted = [...(runs.data ?? [])].sort((a, b) => b.createdAt - a.createdAt);
  const formOpen = showForm || !!continuing || (runs.isSuccess && runs.data.length === 0);
  const toggleForm = () => {
    if (continuing) navigate("/training", { run: from });
    else setShowForm((v) => !v);
  };

  return (
    <div className="page">
      <div className="page-head">
        <h1>Training</h1>
        <div className="row">
          <button
            type="button"
            className="button primary"
            onClick={toggleForm}
            data-testid="new-run"
          >
            {formOpen ? "Hide form" : "New run"}
          </button>
        </div>
      </div>
      <AdminTokenField />
      {runs.isError && <ApiErrorNotice error={runs.error} what="runs" />}
      {formOpen && !runs.isError && (
        <section className="card">
          <h2>Configure a run</h2>
          {continuing && source && (
            <p className="muted" data-testid="continuing-from">
              Starts from version {fromRound} of {source.name} with its configuration; change
              anything before starting.
            </p>
          )}
          <RunForm
            key={continuing ? `${from}:${fromRound}` : "new"}
            {...(continuing ? { initialRequest: continuing } : {})}
            onSubmit={(req) => create.mutate(req)}
            submitting={create.isPending}
            serverError={create.isError ? errorMessage(create.error) : undefined}
            savedPresets={(current, load) => <SavedPresets current={current} onLoad={load} />}
          />
        </section>
      )}
      {sorted.length > 0 && (
        <nav className="run-tabs" aria-label="Runs">
          {sorted.map((r) => (
            <a
              key={r.id}
              href={href("/training", { run: r.id })}
              className={r.id === selectedId ? "active" : undefined}
            >
              {r.name} <StatusBadge status={live?.id === r.id ? live.status : r.status} />
            </a>
          ))}
        </nav>
      )}
      {selected ? (
        <RunView key={selected.id} run={selected} onStatus={onStatus} />
      ) : (
        runs.isSuccess &&
        selectedId && (
          <Notice kind="empty" title="No such run">
            Pick a run above, or start a new one.
          </Notice>
        )
      )}
    </div>
  );
}
