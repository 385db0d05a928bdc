import { formatUnits } from "viem";

/** Token amounts: 18 decimals, shown with up to `digits` fraction digits, grouped thousands. */
export function formatTokens(wei: bigint | string | undefined, digits = 4): string {
  if (wei === undefined) return "—";
  const value = typeof wei === "string" ? BigInt(wei) : wei;
  const negative = value < 0n;
  const text = formatUnits(negative ? -value : value, 18);
  const [whole = "0", fraction = ""] = text.split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const trimmed = fraction.slice(0, digits).replace(/0+$/, "");
  const tiny = trimmed === "" && /[1-9]/.test(fraction);
  const body = trimmed ? `${grouped}.${trimmed}` : grouped;
  return `${negative ? "-" : ""}${tiny && whole === "0" ? `<0.${"0".repeat(digits - 1)}1` : body}`;
}

export function shortHex(hex: string | null | undefined, head = 6, tail = 4): string {
  if (!hex) return "—";
  return hex.length <= head + tail + 1 ? hex : `${hex.slice(0, head)}…${hex.slice(-tail)}`;
}

export function formatPercent(x: number | null | undefined, digits = 1): string {
  return x === null || x === undefined || !Number.isFinite(x)
    ? "—"
    : `${(x * 100).toFixed(digits)}%`;
}

export function formatNumber(x: number | null | undefined, digits = 4): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return "—";
  return Math.abs(x) >= 1000 ? x.toLocaleString("en-US") : Number(x.toFixed(digits)).toString();
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function formatTime(ms: number | null | undefined): string {
  if (!ms) return "—";
  return new Date(ms).toLocaleString("en-GB", {
    year: "numeric",
    month: "short",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
}

/** A 1e18 fixed-point value (as stored on chain for losses) as a float. */
export function fromFixed18(x: bigint): number {
  return Number(formatUnits(x, 18));
}

const FACT_LABELS: Record<string, string> = {
  backend: "Backend",
  threads: "Threads",
  simd: "SIMD",
  customKernels: "Custom kernels",
  tfjsVersion: "TensorFlow.js",
  fallbackReason: "Note",
};

/** "fallbackReason" -> "Fallback reason". */
export function humanizeKey(key: string): string {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/[_-]+/g, " ")
    .trim()
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** A free-form status object (the engine's /api/health entry) as label/value rows. */
export function describeFacts(facts: Record<string, unknown>): { label: string; value: string }[] {
  return Object.entries(facts)
    .filter(([, v]) => v !== undefined && v !== null && v !== "")
    .map(([k, v]) => ({
      label: FACT_LABELS[k] ?? humanizeKey(k),
      value:
        typeof v === "boolean"
          ? v
            ? "yes"
            : "no"
          : Array.isArray(v)
            ? v.length
              ? v.map(String).join(", ")
              : "none"
            : typeof v === "object"
              ? JSON.stringify(v)
              : String(v),
    }));
}

/** A byte count in binary units: "6.3 MiB", "512 B". */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return "—";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = bytes;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}
