import { cleanup, render, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import {
  CreateRunRequest,
  requestFromPreset,
  type RoundRecord,
  type RoundTraffic,
  type RunSummary,
} from "../../../backend/src/domain/index";
import {
  RunTraffic,
  compactBytes,
  describeCompression,
  formatRatio,
  formatRoundTraffic,
  trafficTotals,
} from "./RunTraffic";

afterEach(cleanup);

function summary(compression?: CreateRunRequest["compression"]): RunSummary {
  const request = requestFromPreset("quick-demo");
  return {
    id: "run-1",
    name: "quick-demo",
    status: "running",
    config: CreateRunRequest.parse(compression ? { ...request, compression } : request),
    completedRounds: 2,
    totalRounds: 30,
    engine: "wasm",
    error: null,
    chainRunId: null,
    queuePosition: null,
    createdAt: 0,
    updatedAt: 0,
    latest: null,
    privacy: null,
    chainWrites: { pending: 0, failed: 0, lastError: null },
  };
}

function round(n: number, traffic?: RoundTraffic): RoundRecord {
  return {
    runId: "run-1",
    round: n,
    status: "recorded",
    startedAt: 0,
    finishedAt: 1,
    durationMs: 1,
    testLoss: 1,
    testAccuracy: 0.5,
    validationLossBefore: 2,
    validationLossAfter: 1,
    participants: ["node-0", "node-1", "node-2"],
    updates: [],
    modelHash: null,
    txHash: null,
    ...(traffic ? { traffic } : {}),
  };
}

/** A 159,010-parameter model: 636,040 raw float32 bytes. */
const RAW = 636_040;
/** Three uploads of 12,158 bytes (52.3×), three downloads of 163,000 bytes (3.9×). */
const COMPRESSED: RoundTraffic = {
  uploadBytes: 3 * 12_158,
  uploads: 3,
  downloadBytes: 3 * 163_000,
  downloads: 3,
  rawModelBytes: RAW,
};
/** Raw float32 both ways: the wire carries a little framing over the raw model. */
const RAW_TRAFFIC: RoundTraffic = {
  uploadBytes: 2 * RAW,
  uploads: 2,
  downloadBytes: 2 * RAW,
  downloads: 2,
  rawModelBytes: RAW,
};

const TOP_K_INT4 = {
  upload: { quantise: "int4", scale: "chunk", chunkSize: 256, topK: 0.1 },
  download: { quantise: "int8", scale: "chunk", chunkSize: 256 },
} as const;

describe("describeCompression", () => {
  it("describes top-k, quantisation and scale groups per direction", () => {
    const run = summary(TOP_K_INT4);
    expect(describeCompression(run.config.compression)).toBe(
      "uploads: top-k 10% with error feedback, int4 per chunk of 256; downloads: int8 per chunk of 256",
    );
    expect(
      describeCompression(
        summary({ upload: { quantise: "int8", scale: "tensor" } }).config.compression,
      ),
    ).toBe("uploads: int8 per tensor; downloads: raw float32");
    expect(describeCompression(summary({ upload: { topK: 0.025 } }).config.compression)).toBe(
      "uploads: top-k 2.5% with error feedback; downloads: raw float32",
    );
  });

  it("says raw float32 without compression, or with everything off", () => {
    expect(describeCompression(summary().config.compression)).toBe(
      "none: raw float32 models both ways",
    );
    expect(describeCompression(summary({}).config.compression)).toBe(
      "none: raw float32 models both ways",
    );
  });
});

describe("traffic formatting", () => {
  it("writes ratios as raw over sent", () => {
    expect(formatRatio(52.3148)).toBe("52.3×");
    expect(formatRatio(52.3148, 2)).toBe("52×");
    expect(formatRatio(1234.4, 2)).toBe("1234×");
    expect(formatRatio(1)).toBe("1×");
    expect(formatRatio(null)).toBe("—");
  });

  it("labels the chart's axis in a few characters", () => {
    expect(compactBytes(512)).toBe("512");
    expect(compactBytes(163_020)).toBe("159K");
    expect(compactBytes(6_653_480)).toBe("6.35M");
  });

  it("takes the Training page's live rounds too (no status: all aggregated)", () => {
    const live = [{ round: 1, traffic: COMPRESSED }, { round: 2 }];
    render(<RunTraffic run={summary({ upload: { quantise: "int8" } })} rounds={live} />);
    expect(screen.getByTestId("traffic-unmeasured").textContent).toMatch(/^1 of 2 rounds/);
  });

  it("gives a round's bytes per node and ratios, or — without traffic", () => {
    expect(formatRoundTraffic(COMPRESSED)).toBe("11.9 KiB (52×) / 159.2 KiB (3.9×)");
    expect(formatRoundTraffic(RAW_TRAFFIC)).toBe("621.1 KiB (1×) / 621.1 KiB (1×)");
    expect(formatRoundTraffic({ ...COMPRESSED, uploads: 0, uploadBytes: 0 })).toBe(
      "— / 159.2 KiB (3.9×)",
    );
    expect(formatRoundTraffic(undefined)).toBe("—");
  });

  it("sums the measured rounds only", () => {
    const totals = trafficTotals([round(1), round(2, COMPRESSED), round(3, RAW_TRAFFIC)]);
    expect(totals).toEqual({
      rounds: 2,
      uploadBytes: 3 * 12_158 + 2 * RAW,
      uploads: 5,
      rawUploadBytes: 5 * RAW,
      downloadBytes: 3 * 163_000 + 2 * RAW,
      downloads: 5,
      rawDownloadBytes: 5 * RAW,
    });
  });
});

describe("RunTraffic", () => {
  it("shows the compression, totals, overall ratios and a bytes-per-node chart", () => {
    const rounds = [round(1, COMPRESSED), round(2, COMPRESSED)];
    render(<RunTraffic run={summary(TOP_K_INT4)} rounds={rounds} />);
    const card = screen.getByRole("region", { name: "Bandwidth" });
    expect(within(card).getByRole("heading").textContent).toBe("Bandwidth");
    expect(screen.getByTestId("traffic-compression").textContent).toMatch(
      /^uploads: top-k 10% with error feedback, int4 per chunk of 256/,
    );
    // 6 uploads of 12,158 bytes = 72,948 bytes; 6 downloads of 163,000 bytes = 978,000 bytes.
    expect(screen.getByTestId("traffic-upload-bytes").textContent).toBe("71.2 KiB");
    expect(screen.getByTestId("traffic-upload-ratio").textContent).toBe("52.3×");
    expect(screen.getByTestId("traffic-download-bytes").textContent).toBe("955.1 KiB");
    expect(screen.getByTestId("traffic-download-ratio").textContent).toBe("3.9×");
    expect(screen.getByText("6 updates")).toBeTruthy();
    expect(screen.queryByTestId("traffic-unmeasured")).toBeNull();

    const chart = screen.getByRole("figure", { name: "Bytes per node" });
    expect(
      chart.querySelector('[data-series="upload per node"]')?.querySelectorAll("circle"),
    ).toHaveLength(2);
    expect(chart.querySelector('[data-series="download per node"] circle title')?.textContent).toBe(
      "download per node, round 1: 159K",
    );
    expect(screen.getByRole("figure", { name: "Compression ratio" })).toBeTruthy();
  });

  it("shows — for rounds recorded before traffic was measured", () => {
    render(<RunTraffic run={summary()} rounds={[round(1), round(2)]} />);
    expect(screen.getByTestId("traffic-compression").textContent).toBe(
      "none: raw float32 models both ways",
    );
    for (const id of [
      "traffic-upload-bytes",
      "traffic-upload-ratio",
      "traffic-download-bytes",
      "traffic-download-ratio",
    ])
      expect(screen.getByTestId(id).textContent).toBe("—");
    expect(screen.queryByRole("img")).toBeNull();
    cleanup();

    render(<RunTraffic run={summary()} rounds={undefined} />);
    expect(screen.getByTestId("traffic-upload-ratio").textContent).toBe("—");
  });

  it("counts only measured rounds and says how many were not", () => {
    render(<RunTraffic run={summary()} rounds={[round(1), round(2, RAW_TRAFFIC)]} />);
    expect(screen.getByTestId("traffic-upload-ratio").textContent).toBe("1×");
    expect(screen.getByTestId("traffic-upload-bytes").textContent).toBe("1.21 MiB");
    expect(screen.getByTestId("traffic-unmeasured").textContent).toMatch(/^1 of 2 rounds/);
  });
});
