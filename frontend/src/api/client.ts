import type {
  ContributionRecord,
  ContributionTotals,
  CreateRunRequest,
  NodeSummary,
  RewardsSummary,
  RoundRecord,
  RunSummary,
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

async function request<T>(method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
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
};

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
