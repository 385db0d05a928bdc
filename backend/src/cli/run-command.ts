// `fedledger run <config> [--set key=value]`: validate the file, create the run, follow it with a
// progress bar and per-round lines, and exit 0 when it completes, 1 when it fails or is stopped.
import { stringify } from "yaml";
import { CreateRunRequest, type RunEvent, type RunSummary } from "../domain/index.js";
import { COMMON_HELP, EXIT, needPositionals, type Command, type Io } from "./command.js";
import { loadRunFile } from "./config-file.js";
import { pct, toJson } from "./format.js";
import { eventLine, followRun, progressBar } from "./run-events.js";

const usage = `usage: fedledger run <config.yaml|config.json> [--set key=value]... [--dry-run] [--detach]

Creates a run from a run config file (the body of POST /api/runs as YAML or JSON; presets/*.yaml
are examples, \`fedledger schema\` prints its JSON Schema) and follows it: a progress bar and one
line per round, then the final accuracy. Exit code 0 when the run completes, 1 when it fails or
is stopped, 2 when the file is invalid, 3 when the coordinator cannot be reached.

  --set key=value  override a field, dots for nested ones; the value is read as YAML
                   (--set rounds=3 --set strategy.name=fedprox --set strategy.mu=0.01)
  --dry-run        validate and print the run config with every default filled in; send nothing
  --detach         create the run and print its id without following it
${COMMON_HELP}`;

/** A progress bar kept on the terminal's last line, below the printed lines. */
class Progress {
  private bar = "";
  constructor(private readonly io: Io) {}
  line(text: string): void {
    if (this.bar) this.io.status("\r\x1b[K");
    this.io.out(text);
    if (this.bar) this.io.status(this.bar);
  }
  set(bar: string): void {
    this.bar = bar;
    this.io.status(`\r\x1b[K${bar}`);
  }
  done(): void {
    if (this.bar) this.io.status("\r\x1b[K");
    this.bar = "";
  }
}

function tracker(total: number) {
  let done = 0;
  let round = 0;
  const nodes = new Map<string, number>();
  return {
    update(e: RunEvent): string | undefined {
      if (e.type === "round-started") {
        round = e.round;
        nodes.clear();
        for (const id of e.participants) nodes.set(id, 0);
      } else if (e.type === "node-progress" && e.round === round) {
        nodes.set(e.nodeId, Math.max(nodes.get(e.nodeId) ?? 0, e.batch / Math.max(1, e.batches)));
      } else if (e.type === "node-finished" && e.round === round) nodes.set(e.nodeId, 1);
      else if (e.type === "round-aggregated") done = Math.max(done, e.round);
      else return undefined;
      const avg = nodes.size ? [...nodes.values()].reduce((s, v) => s + v, 0) / nodes.size : 0;
      return progressBar(
        done,
        total,
        round > done ? `(round ${round}: ${Math.round(avg * 100)}%)` : "",
      );
    },
  };
}

export const runCommand: Command = {
  name: "run",
  summary: "create a run from a YAML/JSON config file and follow it to the end",
  usage,
  options: {
    set: { type: "string", multiple: true },
    "dry-run": { type: "boolean", default: false },
    detach: { type: "boolean", default: false },
  },
  async run({ positionals, values, io, client, json }) {
    const [file] = needPositionals({ usage }, positionals, ["<config file>"]);
    const { request } = loadRunFile(file!, (values.set as string[] | undefined) ?? []);
    if (values["dry-run"]) {
      const full = CreateRunRequest.parse(request);
      io.out(json ? toJson(full) : stringify(full).trimEnd());
      return EXIT.ok;
    }
    const api = await client();
    const created = await api.post<RunSummary>("/api/runs", request);
    // With --json, stdout carries only the final JSON; the lines go to stderr.
    const say = json ? io.err : io.out;
    say(`created ${created.id} (${created.name}) on ${api.base}`);
    if (values.detach) {
      if (json) io.out(toJson(created));
      return EXIT.ok;
    }
    const progress = new Progress({ ...io, out: say });
    const track = tracker(created.totalRounds);
    const stop = new AbortController();
    const onSigint = () => stop.abort();
    process.once("SIGINT", onSigint);
    let status;
    try {
      status = await followRun(api, created.id, {
        signal: stop.signal,
        onEvent: (e) => {
          const line = eventLine(e, created.totalRounds);
          if (line && e.type !== "node-finished") progress.line(line);
          const bar = track.update(e);
          if (bar && io.isTty) progress.set(bar);
        },
      });
    } finally {
      process.off("SIGINT", onSigint);
      progress.done();
    }
    const run = await api.get<RunSummary>(`/api/runs/${created.id}`);
    if (stop.signal.aborted && !status) {
      say(
        `stopped following; ${run.id} goes on (fedledger logs ${run.id} -f, fedledger stop ${run.id})`,
      );
      return 130;
    }
    say(
      `${run.id} ${run.status}: ${run.completedRounds}/${run.totalRounds} rounds${run.latest ? `, test accuracy ${pct(run.latest.testAccuracy)}, loss ${run.latest.testLoss.toFixed(4)}` : ""}${run.error ? ` (${run.error})` : ""}`,
    );
    if (json) io.out(toJson(run));
    return run.status === "completed" ? EXIT.ok : EXIT.failed;
  },
};
