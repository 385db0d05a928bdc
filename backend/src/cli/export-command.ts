// `fedledger export <run id> --format csv|json --out dir/`: the run's results from the API
// (GET /api/runs/:id/export), as <id>.json or as <id>-rounds.csv, -contributions.csv, -alerts.csv.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { EXPORT_TABLES } from "../domain/index.js";
import { COMMON_HELP, EXIT, needPositionals, usageError, type Command } from "./command.js";
import { toJson } from "./format.js";

const usage = `usage: fedledger export <run id> [--format csv|json] [--out <dir>]

Downloads a run's results: per round accuracy, loss, timing and privacy; per contribution node,
samples, losses, reward and tx hash; alerts raised about the run
(severity, message, raised/cleared/acknowledged times). JSON is one file, <id>.json; CSV is one file per table: <id>-rounds.csv,
<id>-contributions.csv, <id>-alerts.csv.

  --format csv|json  default json
  --out <dir>        where to write (created if missing; default the current directory)
${COMMON_HELP}`;

export const exportCommand: Command = {
  name: "export",
  summary: "download a run's rounds, contributions and alerts as CSV or JSON",
  usage,
  options: { format: { type: "string", default: "json" }, out: { type: "string", default: "." } },
  async run({ positionals, values, io, client, json }) {
    const [id] = needPositionals({ usage }, positionals, ["<run id>"]);
    const format = values.format as string;
    if (format !== "csv" && format !== "json")
      throw usageError(`--format must be csv or json, not "${format}"`);
    const dir = path.resolve(values.out as string);
    const api = await client();
    const base = `/api/runs/${encodeURIComponent(id!)}/export?format=${format}`;
    const tables = format === "json" ? [undefined] : EXPORT_TABLES;
    mkdirSync(dir, { recursive: true });
    const written: string[] = [];
    for (const t of tables) {
      const res = await api.fetch("GET", t ? `${base}&table=${t}` : base);
      const name = /filename="([^"]+)"/.exec(res.headers.get("content-disposition") ?? "")?.[1];
      const file = path.join(dir, path.basename(name ?? `${id}${t ? `-${t}` : ""}.${format}`));
      writeFileSync(file, Buffer.from(await res.arrayBuffer()));
      written.push(file);
    }
    io.out(json ? toJson({ files: written }) : written.map((f) => `wrote ${f}`).join("\n"));
    return EXIT.ok;
  },
};
