/**
 * `npm run bench:csv-stream [-- <GB>]`: loads a large CSV table (default 2 GB, written to a
 * temporary file first: 16 numeric feature columns and a label of 3 classes) with the own-data
 * loader, and prints the time, the rows per second and the coordinator's memory: the peak RSS
 * growth against the file size and the size of the arrays it returns. Shows that a table is
 * streamed, never read whole. The file is deleted at the end.
 */
import { createWriteStream, mkdtempSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { once } from "node:events";
import { inferCsvSchema, loadCsv } from "../backend/src/engine/datasets/csv-table.js";

const gb = Number(process.argv[2] ?? 2);
const dir = mkdtempSync(path.join(os.tmpdir(), "fl-csv-stream-"));
const file = path.join(dir, "big.csv");
const MB = 2 ** 20;

try {
  const out = createWriteStream(file);
  const cols = Array.from({ length: 16 }, (_, i) => `f${i}`);
  out.write(`${cols.join(",")},label\n`);
  let bytes = 0;
  let seed = 1;
  const rnd = () => (seed = (seed * 1_103_515_245 + 12_345) >>> 0) / 2 ** 32;
  while (bytes < gb * 1024 * MB) {
    const lines: string[] = [];
    for (let i = 0; i < 10_000; i++) {
      const row = cols.map(() => (rnd() * 100).toFixed(3));
      lines.push(`${row.join(",")},${["a", "b", "c"][Math.floor(rnd() * 3)]}\n`);
    }
    const chunk = lines.join("");
    bytes += chunk.length;
    if (!out.write(chunk)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
  const size = statSync(file).size;
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  const t0 = performance.now();
  const schema = await inferCsvSchema(file, { label: "label" });
  const t1 = performance.now();
  const { split, rows } = await loadCsv(file, schema);
  const t2 = performance.now();
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().rss);
  console.log(
    JSON.stringify({
      bench: "csv-stream",
      machine: {
        cpu: os.cpus()[0]?.model ?? "unknown",
        cores: os.availableParallelism(),
        node: process.version,
      },
      fileMB: Math.round(size / MB),
      rows,
      inferSeconds: Number(((t1 - t0) / 1000).toFixed(1)),
      loadSeconds: Number(((t2 - t1) / 1000).toFixed(1)),
      rowsPerSecond: Math.round(rows / ((t2 - t1) / 1000)),
      resultMB: Math.round((split.x.byteLength + split.y.byteLength) / MB),
      peakRssGrowthMB: Math.round((peak - rss0) / MB),
    }),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
