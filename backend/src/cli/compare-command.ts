// `fedledger compare <run id> <run id>...`: 2 to 5 runs side by side: the settings that differ and
// their final metrics (the dashboard's Compare page adds the curves).
import {
  differingSettings,
  finalMetrics,
  MAX_COMPARED,
  MIN_COMPARED,
  type RoundRecord,
  type RunSummary,
} from "../domain/index.js";
import { COMMON_HELP, EXIT, usageError, type Command } from "./command.js";
import { num, pct, table, tokens, toJson } from "./format.js";

const usage = `usage: fedledger compare <run id> <run id> [<run id>...]   (${MIN_COMPARED} to ${MAX_COMPARED} runs)

Prints the settings that differ between the runs and each run's final metrics (final and best
test accuracy, final loss, rounds, wall time, rewards paid).
${COMMON_HELP}`;

export const compareCommand: Command = {
  name: "compare",
  summary: `compare ${MIN_COMPARED} to ${MAX_COMPARED} runs: differing settings and final metrics`,
  usage,
  async run({ positionals, io, client, json }) {
    const ids = [...new Set(positionals)];
    if (ids.length < MIN_COMPARED || ids.length > MAX_COMPARED)
      throw usageError(
        `compare takes ${MIN_COMPARED} to ${MAX_COMPARED} distinct run ids\n\n${usage}`,
      );
    const api = await client();
    const runs = await Promise.all(
      ids.map((id) => api.get<RunSummary>(`/api/runs/${encodeURIComponent(id)}`)),
    );
    const rounds = await Promise.all(
      runs.map((r) => api.get<RoundRecord[]>(`/api/runs/${r.id}/rounds`)),
    );
    const diffs = differingSettings(runs);
    const metrics = rounds.map(finalMetrics);
    if (json) {
      io.out(
        toJson({
          runs: runs.map((r, i) => ({ id: r.id, name: r.name, metrics: metrics[i] })),
          settings: diffs,
        }),
      );
      return EXIT.ok;
    }
    const header = ["", ...runs.map((r) => r.id)];
    io.out(
      table(header, [
        ["name", ...runs.map((r) => r.name)],
        ["status", ...runs.map((r) => r.status)],
      ]),
    );
    io.out("\nsettings that differ");
    io.out(
      diffs.length
        ? table(
            ["SETTING", ...runs.map((r) => r.id)],
            diffs.map((d) => [d.setting, ...d.values.map((v) => v || "-")]),
          )
        : "  none: the runs have the same settings",
    );
    io.out("\nfinal metrics");
    const row = (label: string, f: (m: (typeof metrics)[number]) => string) => [
      label,
      ...metrics.map(f),
    ];
    io.out(
      table(
        ["METRIC", ...runs.map((r) => r.id)],
        [
          row("final accuracy", (m) => pct(m.finalAccuracy)),
          row("best accuracy", (m) => pct(m.bestAccuracy)),
          row("final loss", (m) => num(m.finalLoss)),
          row("rounds", (m) => String(m.rounds)),
          row("wall time (s)", (m) => num(m.wallSeconds, 1)),
          row("rewards (FLR)", (m) => tokens(m.rewardWei)),
        ],
      ),
    );
    return EXIT.ok;
  },
};
