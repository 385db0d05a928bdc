import { describe, expect, it } from "vitest";
import {
  describeFacts,
  formatBytes,
  formatDuration,
  formatPercent,
  formatTokens,
  fromFixed18,
  humanizeKey,
  shortHex,
} from "./format";

describe("format", () => {
  it("formats wei as tokens with grouping and trimmed decimals", () => {
    expect(formatTokens(0n)).toBe("0");
    expect(formatTokens(10n ** 18n)).toBe("1");
    expect(formatTokens("1234567500000000000000")).toBe("1,234.5675");
    expect(formatTokens(33_333_333_333_333_333_333n, 2)).toBe("33.33");
    expect(formatTokens(1n)).toBe("<0.0001");
    expect(formatTokens(undefined)).toBe("—");
  });

  it("shortens hashes and formats numbers", () => {
    expect(shortHex("0x5FbDB2315678afecb367f032d93F642f64180aa3")).toBe("0x5FbD…0aa3");
    expect(formatPercent(0.9123)).toBe("91.2%");
    expect(formatPercent(null)).toBe("—");
    expect(formatDuration(1500)).toBe("1.5 s");
    expect(formatDuration(125_000)).toBe("2 min 5 s");
    expect(fromFixed18(25n * 10n ** 17n)).toBe(2.5);
  });

  it("formats byte counts in binary units", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(6_653_480)).toBe("6.35 MiB");
    expect(formatBytes(73 * 2 ** 20)).toBe("73.0 MiB");
    expect(formatBytes(undefined)).toBe("—");
  });

  it("turns the engine's status object into readable rows", () => {
    expect(humanizeKey("fallbackReason")).toBe("Fallback reason");
    expect(
      describeFacts({
        backend: "wasm",
        threads: 1,
        simd: true,
        customKernels: ["Conv2DBackpropFilter", "MaxPoolGrad"],
        gpu: null,
        peakMemoryMb: 12,
      }),
    ).toEqual([
      { label: "Backend", value: "wasm" },
      { label: "Threads", value: "1" },
      { label: "SIMD", value: "yes" },
      { label: "Custom kernels", value: "Conv2DBackpropFilter, MaxPoolGrad" },
      { label: "Peak memory mb", value: "12" },
    ]);
  });
});
