// Whether a remote agent's data can serve a run, from what it announced (class names, a table's
// columns; never samples): a node is left out of a run it cannot train for, with what differs.
// The agent checks again when it loads its data with the run's spec, and refuses the task if its
// files disagree with what it announced.
import type { RunConfig } from "../domain/index.js";
import type { NodeDataSummary } from "./participant.js";

const quoted = (xs: readonly string[]) => xs.map((x) => `"${x}"`).join(", ");

function tableMisfit(config: RunConfig, columns: readonly string[]): string | undefined {
  const csv = config.data?.resolved?.csv;
  if (!csv) return undefined;
  const wanted = [csv.label, ...csv.features.map((f) => f.name)];
  const ignored = new Set(csv.ignore ?? []);
  const missing = wanted.filter((c) => !columns.includes(c));
  const unexpected = columns.filter((c) => !wanted.includes(c) && !ignored.has(c));
  if (!missing.length && !unexpected.length) return undefined;
  return `its table's columns differ from the run's: missing ${missing.length ? quoted(missing) : "none"}; unexpected ${unexpected.length ? quoted(unexpected) : "none"}`;
}

/** Why a node with `data` cannot take part in a run of `config` (undefined: it can). */
export function nodeDataMisfit(
  config: RunConfig,
  data: NodeDataSummary | undefined,
): string | undefined {
  if (!data) return undefined;
  if (config.dataset !== "own") {
    return data.classes
      ? `it holds its own data (${data.label}); the run trains on ${config.dataset}`
      : undefined;
  }
  const resolved = config.data?.resolved;
  if (!data.classes)
    return `it holds ${data.label}; the run trains on its own data "${config.data?.name ?? ""}"`;
  if (!resolved) return undefined;
  if (config.data?.format === "csv" && !data.columns)
    return `it holds an image folder (${data.label}); the run trains on a table`;
  if (config.data?.format === "image-folder" && data.columns)
    return `it holds a table (${data.label}); the run trains on an image folder`;
  const unknown = data.classes.filter((c) => !resolved.classNames.includes(c));
  if (unknown.length)
    return `its classes ${quoted(unknown)} are not among the run's classes (${resolved.classNames.join(", ")})`;
  return data.columns ? tableMisfit(config, data.columns) : undefined;
}
