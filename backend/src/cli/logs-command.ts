// `fedledger logs <run id> [-f]`: a run's events as lines (or JSON lines), history first; with
// -f, live until the run finishes.
import type { RunSummary } from "../domain/index.js";
import { COMMON_HELP, EXIT, needPositionals, type Command } from "./command.js";
import { eventLine, followRun } from "./run-events.js";

const usage = `usage: fedledger logs <run id> [-f]

Prints the run's events (round starts, aggregations, chain records, rejections, log lines) from
its beginning; --json prints each event as one JSON line.

  -f, --follow  keep printing live events until the run finishes (exit 0 completed, 1 otherwise)
${COMMON_HELP}`;

export const logsCommand: Command = {
  name: "logs",
  summary: "print a run's events; -f follows it live",
  usage,
  options: { follow: { type: "boolean", short: "f", default: false } },
  async run({ positionals, values, io, client, json }) {
    const [id] = needPositionals({ usage }, positionals, ["<run id>"]);
    const api = await client();
    const run = await api.get<RunSummary>(`/api/runs/${encodeURIComponent(id!)}`);
    const stop = new AbortController();
    const onSigint = () => stop.abort();
    process.once("SIGINT", onSigint);
    try {
      const status = await followRun(api, run.id, {
        historyOnly: !values.follow,
        signal: stop.signal,
        onEvent: (e) => {
          if (json) return io.out(JSON.stringify(e));
          const line = e.type === "node-finished" ? undefined : eventLine(e, run.totalRounds);
          if (line) io.out(line);
        },
      });
      if (!values.follow) return EXIT.ok;
      return status === "completed" ? EXIT.ok : stop.signal.aborted ? 130 : EXIT.failed;
    } finally {
      process.off("SIGINT", onSigint);
    }
  },
};
