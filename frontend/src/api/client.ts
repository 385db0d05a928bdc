import type {
  ContributionRecord,
  ContributionTotals,
  CreateRunRequest,
  ExportTable,
  NodeSummary,
  RewardsSummary,
  RoundRecord,
  RunSummary,
  SavedPreset,
} from "../../../backend/src/domain/index";
import { readAdminToken } from "./settings";

/** Why a call to the coordinator failed, in words a user can act on. */
export class ApiError extends Error {
  constructor(
    /** "unreachable": no answer (coordinator down); otherwise the HTTP status. */
    readonly kind: "unreachable" | "http",
    message: string,
    readonly status?: number,
    readonly code?: string,
  ) {
    super(message);
    this.name = "ApiError";
  }

  get coordinatorDown(): boolean {
    return this.kind === "unreachable";
  }
}

export interface ChainHealth {
  reachable: boolean;
  rpcUrl: string;
  chainId?: number;
  blockNumber?: number;
  contractsDeployed?: boolean;
  contracts?: { RewardToken: string; ContributionLedger: string };
  error?: string;
  /** The chain is no longer the deployment's (reset): what happened, and the operator's choices. */
  reset?: { detectedAt: number; reason: string; choices: string[] };
  /** How old this reading is (the coordinator reads the chain every few seconds). */
  ageMs?: number;
}

export interface Health {
  status: "ok" | "degraded";
  /** Why it is degraded, one sentence each. */
  problems?: string[];
  uptimeSeconds: number;
  chain: ChainHealth;
  store: {
    ok: boolean;
    dialect: string;
    location: string;
    schemaVersion?: number;
    error?: string;
  };
  engine: { backend?: string; error?: string; [key: string]: unknown };
  outbox?: { pending?: number; failed?: number; error?: string; [key: string]: unknown };
  /** The artifact store's disk use (models, updates, validation data, specs). */
  artifacts?: ArtifactUsage | { error: string };
}

export interface ArtifactUsage {
  bytes: number;
  files: number;
  /** Bytes stored now by artifact kind ("model", "update", "validation", "spec"). */
  byKind: Record<string, number>;
}

/** One model version of a run (GET /api/runs/:id/models); round 0 is the run's start model. */
export interface ModelVersion {
  round: number;
  hash: string;
  testAccuracy: number | null;
  testLoss: number | null;
  txHash: string | null;
  bytes: number;
  /** Whether its weights are still stored (the run's retention policy may have pruned them). */
  stored: boolean;
  /** The served "best" version: the highest test accuracy among stored rounds. */
  best: boolean;
}

/** A version evaluated on its run's test split (GET /api/runs/:id/models/:round/evaluation). */
export interface VersionEvaluation {
  round: number;
  hash: string;
  samples: number;
  loss: number;
  accuracy: number;
  perClassAccuracy: (number | null)[];
  /** confusion[true class][predicted class], counts over the test split. */
  confusion: number[][];
}

/** An artifact a run's rounds refer to (GET /api/runs/:id/artifacts). */
export interface ArtifactRef {
  round: number;
  kind: string;
  nodeId: string | null;
  hash: string;
  bytes: number | null;
  stored: boolean;
}

export interface RunNode {
  nodeId: string;
  wallet: string;
  samples: number;
  histogram: number[];
  byzantine: boolean;
}

export type NodeDetail = NodeSummary & {
  labelHistograms?: { runId: string; histogram: number[] }[];
};

const DOWN_HINT = "Start the stack with `npm start` (or `npm run coordinator`), then retry.";

interface ErrorBody {
  error?: { code?: string; message?: string };
}

/** A call to the coordinator's API: errors as ApiError, mutating calls with the admin token. */
export async function request<T>(
  method: "GET" | "POST" | "DELETE",
  path: string,
  body?: unknown,
): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  const token = readAdminToken();
  if (token && method !== "GET") headers.authorization = `Bearer ${token}`;
  let res: Response;
  try {
    res = await fetch(`/api${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError("unreachable", `The coordinator did not answer. ${DOWN_HINT}`);
  }
  const text = await res.text();
  // The dev server's proxy answers 502/504 (often with an empty body) when the coordinator is down.
  if ((res.status === 502 || res.status === 503 || res.status === 504) && !text.startsWith("{")) {
    throw new ApiError("unreachable", `The coordinator is not running. ${DOWN_HINT}`, res.status);
  }
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    throw new ApiError(
      res.ok ? "http" : "unreachable",
      res.ok
        ? `The coordinator answered ${path} with something that is not JSON.`
        : `The coordinator is not answering properly (HTTP ${res.status}). ${DOWN_HINT}`,
      res.status,
    );
  }
  if (!res.ok) {
    const err = (parsed as ErrorBody | undefined)?.error;
    let message = err?.message ?? `HTTP ${res.status}`;
    if (res.status === 401 || res.status === 403)
      message = `${message} — paste the coordinator's admin token under Training → Settings.`;
    throw new ApiError("http", message, res.status, err?.code);
  }
  return parsed as T;
}

const enc = encodeURIComponent;

export const api = {
  health: () => request<Health>("GET", "/health"),
  runs: () => request<RunSummary[]>("GET", "/runs"),
  run: (id: string) => request<RunSummary>("GET", `/runs/${enc(id)}`),
  createRun: (body: CreateRunRequest) => request<RunSummary>("POST", "/runs", body),
  controlRun: (id: string, action: "pause" | "resume" | "stop") =>
    request<RunSummary>("POST", `/runs/${enc(id)}/${action}`),
  rounds: (id: string) => request<RoundRecord[]>("GET", `/runs/${enc(id)}/rounds`),
  runNodes: (id: string) => request<RunNode[]>("GET", `/runs/${enc(id)}/nodes`),
  nodes: () => request<NodeSummary[]>("GET", "/nodes"),
  node: (id: string) => request<NodeDetail>("GET", `/nodes/${enc(id)}`),
  contributions: (filter: { run?: string; node?: string } = {}) => {
    const q = new URLSearchParams();
    if (filter.run) q.set("run", filter.run);
    if (filter.node) q.set("node", filter.node);
    const qs = q.toString();
    return request<ContributionRecord[]>("GET", `/contributions${qs ? `?${qs}` : ""}`);
  },
  contributionTotals: (run?: string) =>
    request<ContributionTotals>(
      "GET",
      `/contributions/totals${run ? `?run=${encodeURIComponent(run)}` : ""}`,
    ),
  rewards: (address: string) => request<RewardsSummary>("GET", `/rewards/${enc(address)}`),
  archiveRun: (id: string, action: "archive" | "unarchive") =>
    request<RunSummary>("POST", `/runs/${enc(id)}/${action}`),
  savedPresets: () => request<SavedPreset[]>("GET", "/presets"),
  savePreset: (name: string, request_: CreateRunRequest) =>
    request<SavedPreset>("POST", "/presets", { name, request: request_ }),
  deletePreset: (id: string) => request<undefined>("DELETE", `/presets/${enc(id)}`),
  models: (runId: string) => request<ModelVersion[]>("GET", `/runs/${enc(runId)}/models`),
  evaluation: (runId: string, round: number) =>
    request<VersionEvaluation>("GET", `/runs/${enc(runId)}/models/${round}/evaluation`),
  runArtifacts: (runId: string) => request<ArtifactRef[]>("GET", `/runs/${enc(runId)}/artifacts`),
};

/** Where a run's export downloads from (a plain GET: a link with `download` saves it). */
export function exportUrl(id: string, format: "json" | "csv", table?: ExportTable): string {
  const q = new URLSearchParams({ format, ...(table ? { table } : {}) });
  return `/api/runs/${enc(id)}/export?${q.toString()}`;
}

/** Where a version's files are served (same origin: the dashboard proxies /api). */
export function versionUrls(runId: string, version: { round: number; hash: string }) {
  const base = `/api/runs/${enc(runId)}/models/${version.round}/tfjs`;
  return {
    modelJson: `${base}/model.json`,
    weightsBin: `${base}/weights.bin`,
    raw: `/api/models/${enc(version.hash)}`,
  };
}

/** An artifact's bytes by hash (hash-checked by the coordinator on read). */
export async function fetchArtifact(hash: string): Promise<ArrayBuffer> {
  let res: Response;
  try {
    res = await fetch(`/api/artifacts/${enc(hash)}`);
  } catch {
    throw new ApiError("unreachable", `The coordinator did not answer. ${DOWN_HINT}`);
  }
  if (!res.ok) throw new ApiError("http", `artifact ${hash}: HTTP ${res.status}`, res.status);
  return res.arrayBuffer();
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
