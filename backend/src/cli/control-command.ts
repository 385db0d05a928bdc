// `fedledger pause|resume|stop <run id>` (admin): recorded at once, effective between rounds.
import type { RunSummary } from "../domain/index.js";
import { COMMON_HELP, EXIT, needPositionals, type Command } from "./command.js";
import { toJson } from "./format.js";

function control(action: "pause" | "resume" | "stop", summary: string): Command {
  const usage = `usage: fedledger ${action} <run id>

${summary[0]!.toUpperCase()}${summary.slice(1)} (admin token off the local chain). It takes effect between rounds.
${COMMON_HELP}`;
  return {
    name: action,
    summary,
    usage,
    async run({ positionals, io, client, json }) {
      const [id] = needPositionals({ usage }, positionals, ["<run id>"]);
      const api = await client();
      const run = await api.post<RunSummary>(`/api/runs/${encodeURIComponent(id!)}/${action}`);
      io.out(json ? toJson(run) : `${run.id} is ${run.status}`);
      return EXIT.ok;
    },
  };
}

export const controlCommands: Command[] = [
  control("pause", "pause a run"),
  control("resume", "resume a paused run (it queues again)"),
  control("stop", "stop a run for good"),
];
