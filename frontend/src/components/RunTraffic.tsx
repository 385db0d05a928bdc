// "Bandwidth": what a run's compression setting is and the bytes its rounds moved (RoundTraffic),
// per node per round and in total, with compression ratios relative to raw float32 models.
import {
  compressionRatio,
  usesCompression,
  type CompressionSpec,
  type RoundRecord,
  type RoundTraffic,
  type RunSummary,
} from "../../../backend/src/domain/index";
import { formatBytes } from "../format";
import { LineChart } from "./LineChart";
import { Stat } from "./Stat";

type Scaled = Pick<CompressionSpec["download"], "quantise" | "scale" | "chunkSize">;

/** "int8 per chunk of 256", "int4 per tensor"; null without quantisation. */
function describeQuantisation(q: Scaled): string | null {
  if (q.quantise === "none") return null;
  return `${q.quantise} ${q.scale === "tensor" ? "per tensor" : `per chunk of ${q.chunkSize}`}`;
}

/** A fraction as a percentage without float noise: 0.1 -> "10", 0.025 -> "2.5". */
export function percentOf(fraction: number): string {
  return String(Number((fraction * 100).toPrecision(6)));
}

/** The run's compression in words, e.g. "uploads: top-k 10% with error feedback, int4 …". */
export function describeCompression(spec: CompressionSpec | undefined): string {
  if (!usesCompression(spec)) return "none: raw float32 models both ways";
  const upload = [
    spec.upload.topK !== undefined
      ? `top-k ${percentOf(spec.upload.topK)}% with error feedback`
      : null,
    describeQuantisation(spec.upload),
  ].filter((part) => part !== null);
  const download = describeQuantisation(spec.download);
  return `uploads: ${upload.length ? upload.join(", ") : "raw float32"}; downloads: ${download ?? "raw float32"}`;
}

/** A compression ratio: "52.3×" (3 significant digits, or `digits`); "—" when nothing moved. */
export function formatRatio(ratio: number | null | undefined, digits = 3): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return "—";
  const shown = ratio >= 10 ** digits ? Math.round(ratio) : Number(ratio.toPrecision(digits));
  return `${shown}×`;
}

/** Bytes per node of one direction, or null when no transfer was counted. */
function perNode(bytes: number, count: number): number | null {
  return count > 0 ? bytes / count : null;
}

function directionText(bytes: number, count: number, raw: number): string {
  const each = perNode(bytes, count);
  if (each === null) return "—";
  return `${formatBytes(Math.round(each))} (${formatRatio(compressionRatio(bytes, count, raw), 2)})`;
}

/**
 * One round's traffic for the rounds table: upload and download bytes per node with their ratios,
 * e.g. "127 KiB (52×) / 1.69 MiB (3.9×)"; "—" for a round recorded without traffic.
 */
export function formatRoundTraffic(traffic: RoundTraffic | undefined): string {
  if (!traffic) return "—";
  return `${directionText(traffic.uploadBytes, traffic.uploads, traffic.rawModelBytes)} / ${directionText(traffic.downloadBytes, traffic.downloads, traffic.rawModelBytes)}`;
}

/** The traffic of every measured round, summed, with raw-model bytes summed alongside. */
export interface TrafficTotals {
  rounds: number;
  uploadBytes: number;
  uploads: number;
  rawUploadBytes: number;
  downloadBytes: number;
  downloads: number;
  rawDownloadBytes: number;
}

/**
 * A finished round as the card needs it: the rounds API's records, or the Training page's rounds
 * merged with the live stream (which carry no status: they are all aggregated).
 */
export type TrafficRound = Pick<RoundRecord, "round" | "traffic"> & {
  status?: RoundRecord["status"];
};

export function trafficTotals(rounds: readonly TrafficRound[] | undefined): TrafficTotals {
  const totals: TrafficTotals = {
    rounds: 0,
    uploadBytes: 0,
    uploads: 0,
    rawUploadBytes: 0,
    downloadBytes: 0,
    downloads: 0,
    rawDownloadBytes: 0,
  };
  for (const { traffic: t } of rounds ?? []) {
    if (!t) continue;
    totals.rounds++;
    totals.uploadBytes += t.uploadBytes;
    totals.uploads += t.uploads;
    totals.rawUploadBytes += t.uploads * t.rawModelBytes;
    totals.downloadBytes += t.downloadBytes;
    totals.downloads += t.downloads;
    totals.rawDownloadBytes += t.downloads * t.rawModelBytes;
  }
  return totals;
}

/** An axis label that fits the chart's margin, in binary units as formatBytes: "159K", "6.35M". */
export function compactBytes(bytes: number): string {
  if (bytes < 1024) return `${Math.round(bytes)}`;
  if (bytes < 1024 ** 2) return `${Number((bytes / 1024).toPrecision(3))}K`;
  return `${Number((bytes / 1024 ** 2).toPrecision(3))}M`;
}

/** Raw over sent across rounds (their raw model size may differ); null when nothing moved. */
function overallRatio(raw: number, sent: number): number | null {
  return sent > 0 && raw > 0 ? raw / sent : null;
}

/** The run's bytes moved up and down and the overall ratios ("—" before any measured round). */
export function TrafficSummary({ rounds }: { rounds: readonly TrafficRound[] | undefined }) {
  const t = trafficTotals(rounds);
  const measured = t.rounds > 0;
  const finished = (rounds ?? []).filter(
    (r) => r.status === undefined || r.status === "aggregated" || r.status === "recorded",
  );
  const unmeasured = finished.filter((r) => !r.traffic).length;
  return (
    <div data-testid="traffic-summary">
      <div className="stats">
        <Stat
          label="Uploaded"
          value={measured ? formatBytes(t.uploadBytes) : "—"}
          note={measured ? `${t.uploads} updates` : undefined}
          testId="traffic-upload-bytes"
        />
        <Stat
          label="Upload ratio"
          value={formatRatio(overallRatio(t.rawUploadBytes, t.uploadBytes))}
          note="raw float32 ÷ sent"
          testId="traffic-upload-ratio"
        />
        <Stat
          label="Downloaded"
          value={measured ? formatBytes(t.downloadBytes) : "—"}
          note={measured ? `${t.downloads} models` : undefined}
          testId="traffic-download-bytes"
        />
        <Stat
          label="Download ratio"
          value={formatRatio(overallRatio(t.rawDownloadBytes, t.downloadBytes))}
          note="raw float32 ÷ sent"
          testId="traffic-download-ratio"
        />
      </div>
      {measured && unmeasured > 0 && (
        <p className="muted small" data-testid="traffic-unmeasured">
          {unmeasured} of {finished.length} rounds were recorded before traffic was measured and are
          not counted.
        </p>
      )}
    </div>
  );
}

/** Bytes per node per round, upload and download, and each round's compression ratios. */
export function TrafficCharts({ rounds }: { rounds: readonly TrafficRound[] | undefined }) {
  const measured = [...(rounds ?? [])]
    .flatMap((r) => (r.traffic ? [{ round: r.round, t: r.traffic }] : []))
    .sort((a, b) => a.round - b.round);
  const points = (pick: (t: RoundTraffic) => number | null) =>
    measured.flatMap(({ round, t }) => {
      const y = pick(t);
      return y === null ? [] : [{ x: round, y }];
    });
  return (
    <div className="grid-2">
      <LineChart
        title="Bytes per node"
        xLabel="Round"
        yFormat={compactBytes}
        series={[
          {
            name: "upload per node",
            color: "var(--chart-1)",
            points: points((t) => perNode(t.uploadBytes, t.uploads)),
          },
          {
            name: "download per node",
            color: "var(--chart-2)",
            points: points((t) => perNode(t.downloadBytes, t.downloads)),
          },
        ]}
        emptyText="The bytes each node sends and receives appear here after the first measured round."
      />
      <LineChart
        title="Compression ratio"
        xLabel="Round"
        yFormat={(y) => formatRatio(y, 2)}
        series={[
          {
            name: "upload",
            color: "var(--chart-1)",
            points: points((t) => compressionRatio(t.uploadBytes, t.uploads, t.rawModelBytes)),
          },
          {
            name: "download",
            color: "var(--chart-2)",
            points: points((t) => compressionRatio(t.downloadBytes, t.downloads, t.rawModelBytes)),
          },
        ]}
        emptyText="Raw float32 ÷ sent, per round, appears here after the first measured round."
      />
    </div>
  );
}

/** The Training page's bandwidth card for one run: its compression and the bytes it moved. */
export function RunTraffic({
  run,
  rounds,
}: {
  run: RunSummary;
  rounds: readonly TrafficRound[] | undefined;
}) {
  // Runs saved before compression existed have no such key: raw float32 both ways.
  const spec = (run.config as { compression?: CompressionSpec }).compression;
  return (
    <section className="card" aria-label="Bandwidth" data-testid="run-traffic">
      <h2>Bandwidth</h2>
      <dl className="kv">
        <dt>Compression</dt>
        <dd data-testid="traffic-compression">{describeCompression(spec)}</dd>
      </dl>
      <TrafficSummary rounds={rounds} />
      <TrafficCharts rounds={rounds} />
    </section>
  );
}
