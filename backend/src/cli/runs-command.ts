// `fedledger runs ls|show|archive|unarchive`: the coordinator's runs.
import { runDatasetLabel, type RoundRecord, type RunSummary } from "../domain/index.js";
import { COMMON_HELP, EXIT, needPositionals, usageError, type Command } from "./command.js";
import { duration, num, pct, table, tokens, toJson, when } from "./format.js";

const usage = `usage: fedledger runs ls [--archived include|only]
       fedledger runs show <run id>
       fedledger runs archive <run id>     (admin; a finished run leaves the listings)
       fedledger runs unarchive <run id>   (admin)

Archiving hides a run from listings only: its rounds and contributions stay in the coordinator's
store, and everything recorded on chain stays there for good.

  --archived include|only  list archived runs too, or only them
${COMMON_HELP}`;

function listRows(runs: readonly RunSummary[]): string {
  return table(
    ["ID", "NAME", "STATUS", "ROUNDS", "ACCURACY", "LOSS", "CREATED"],
    runs.map((r) => [
      r.id,
      r.name,
      r.status,
      `${r.completedRounds}/${r.totalRounds}`,
      pct(r.latest?.testAccuracy),
      num(r.latest?.testLoss),
      when(r.createdAt),
    ]),
  );
}

function showRun(run: RunSummary, rounds: readonly RoundRecord[]): string {
  const c = run.config;
  const lines = [
    `${run.id}  ${run.name}`,
    `  status      ${run.status}${run.error ? ` (${run.error})` : ""}${run.queuePosition ? `, queue position ${run.queuePosition}` : ""}`,
    `  config      ${runDatasetLabel(c)}, ${c.model}, ${c.partition.kind}, ${c.strategy.name}, ${c.numNodes} nodes, C = ${c.fraction}, E = ${c.localEpochs}, B = ${c.batchSize}, lr ${c.learningRate}, ${c.aggregation.mode} aggregation${c.privacy ? ", DP-FedAvg" : ""}`,
    `  rounds      ${run.completedRounds}/${run.totalRounds}`,
    `  chain       run ${run.chainRunId ?? "-"}, ${run.chainWrites.pending} writes pending, ${run.chainWrites.failed} failed`,
  ];
  if (run.privacy)
    lines.push(
      `  privacy     epsilon ${num(run.privacy.epsilon, 3)} at delta ${run.privacy.delta}`,
    );
  if (rounds.length === 0) return lines.join("\n");
  const body = table(
    ["ROUND", "ACCURACY", "LOSS", "ACCEPTED", "REJECTED", "TIME", "REWARD", "TX"],
    rounds.map((r) => [
      String(r.round),
      pct(r.testAccuracy),
      num(r.testLoss),
      String(r.updates.filter((u) => u.accepted).length),
      String(r.updates.filter((u) => !u.accepted).length),
      duration(r.durationMs),
      tokens(r.updates.reduce((s, u) => s + BigInt(u.reward ?? "0"), 0n)),
      r.txHash ?? "-",
    ]),
  );
  return `${lines.join("\n")}\n\n${body}`;
}

export const runsCommand: Command = {
  name: "runs",
  summary: "list runs, show one, archive or unarchive it",
  usage,
  options: { archived: { type: "string" } },
  async run({ positionals, values, io, client, json }) {
    const [action, id] = positionals;
    const api = await client();
    if (action === "ls" || action === "list") {
      needPositionals({ usage }, positionals, ["ls"]);
      const archived = (values.archived as string | undefined) ?? "exclude";
      if (!["exclude", "include", "only"].includes(archived))
        throw usageError(`--archived must be include or only, not "${archived}"`);
      const runs = await api.get<RunSummary[]>(`/api/runs?archived=${archived}`);
      io.out(json ? toJson(runs) : runs.length ? listRows(runs) : "no runs");
      return EXIT.ok;
    }
    if (action === "show") {
      needPositionals({ usage }, positionals, ["show", "<run id>"]);
      const run = await api.get<RunSummary>(`/api/runs/${encodeURIComponent(id!)}`);
      const rounds = await api.get<RoundRecord[]>(`/api/runs/${run.id}/rounds`);
      io.out(json ? toJson({ ...run, rounds }) : showRun(run, rounds));
      return EXIT.ok;
    }
    if (action === "archive" || action === "unarchive") {
      needPositionals({ usage }, positionals, [action, "<run id>"]);
      const run = await api.post<RunSummary>(`/api/runs/${encodeURIComponent(id!)}/${action}`);
      io.out(json ? toJson(run) : `${run.id} ${action}d`);
      return EXIT.ok;
    }
    throw usageError(`${action ? `unknown action "${action}"` : "missing action"}\n\n${usage}`);
  },
};
