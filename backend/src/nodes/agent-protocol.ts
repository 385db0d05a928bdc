// The wire protocol between the coordinator and remote node agents (`npm run node`), shared by
// both sides. Agents poll for work over HTTP; every request names its node and is signed by that
// node's registered wallet (EIP-191) over the call and its query, the time, a nonce, every
// x-fedledger-* header and the keccak256 of the exact body bytes, and every update carries its own EIP-712 signature over the hash of its bytes (see
// update-signing.ts), which the coordinator verifies before aggregating.
import { randomBytes } from "node:crypto";
import { bytesToHex, recoverMessageAddress, toBytes, type Hex, type LocalAccount } from "viem";
import { z } from "zod";
import { keccak256Bytes } from "./keccak.js";
import {
  AgentResourceReport,
  CompressionSpec,
  ModelRefSchema,
  OwnDataSpecSchema,
  RunDataset,
} from "../domain/index.js";
import { SecAggConfigSchema } from "../secagg/index.js";

export const AGENT_HEADERS = {
  node: "x-fedledger-node",
  time: "x-fedledger-time",
  signature: "x-fedledger-signature",
  nonce: "x-fedledger-nonce",
  update: "x-fedledger-update",
} as const;

/** How far an agent's clock may be from the coordinator's. */
export const AGENT_CLOCK_SKEW_MS = 120_000;
/** A node counts as online while it polled or sent a heartbeat this recently. */
export const AGENT_ONLINE_MS = 30_000;

/** A request body as the bytes on the wire: a JSON text, raw bytes, or none. */
export type AgentRequestBody = string | Uint8Array | undefined;

/** The parts of a request an agent's signature covers. */
export interface AgentRequestParts {
  nodeId: string;
  method: string;
  /** The path with its query string, exactly as sent (e.g. /api/agent/task?waitMs=20000). */
  target: string;
  time: number;
  /** 16 random bytes as hex: the coordinator refuses a nonce it has seen (replays). */
  nonce: string;
  /** Every x-fedledger-* header but the signature itself (update metadata among them). */
  headers: Record<string, string>;
  body: AgentRequestBody;
}

/** The x-fedledger-* headers of a request, lower-cased, without the signature. */
export function signedAgentHeaders(
  all: Record<string, string | undefined>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(all)) {
    const name = k.toLowerCase();
    if (name.startsWith("x-fedledger-") && name !== AGENT_HEADERS.signature && v !== undefined)
      out[name] = v;
  }
  return out;
}

/**
 * The text an agent signs for one request (EIP-191): the node, the call with its query, the time,
 * a nonce, every x-fedledger-* header and the keccak256 of the body's bytes, so nobody between the
 * agent and the coordinator can change any of it, and nobody can replay it.
 */
export function agentRequestMessage(p: AgentRequestParts): string {
  const bytes = typeof p.body === "string" ? toBytes(p.body) : (p.body ?? new Uint8Array(0));
  const headers = Object.keys(p.headers)
    .sort()
    .map((k) => `${k}=${p.headers[k]}`)
    .join("; ");
  return [
    "FedLedger agent request v2",
    `node: ${p.nodeId}`,
    `call: ${p.method.toUpperCase()} ${p.target}`,
    `time: ${p.time}`,
    `nonce: ${p.nonce}`,
    `headers: ${headers}`,
    `body: ${keccak256Bytes(bytes)}`,
  ].join("\n");
}

/** The headers that authenticate an agent's request (to add to `extraHeaders`, which it covers). */
export async function signAgentRequest(
  account: LocalAccount,
  nodeId: string,
  method: string,
  target: string,
  body: AgentRequestBody,
  extraHeaders: Record<string, string> = {},
  time = Date.now(),
): Promise<Record<string, string>> {
  const nonce = bytesToHex(randomBytes(16)).slice(2);
  const headers = signedAgentHeaders({
    ...extraHeaders,
    [AGENT_HEADERS.node]: nodeId,
    [AGENT_HEADERS.time]: String(time),
    [AGENT_HEADERS.nonce]: nonce,
  });
  const signature = await account.signMessage({
    message: agentRequestMessage({ nodeId, method, target, time, nonce, headers, body }),
  });
  return { ...headers, [AGENT_HEADERS.signature]: signature };
}

export async function agentRequestSigner(
  parts: AgentRequestParts,
  signature: Hex,
): Promise<`0x${string}` | undefined> {
  try {
    return await recoverMessageAddress({ message: agentRequestMessage(parts), signature });
  } catch {
    return undefined;
  }
}

export const NodeIdSchema = z
  .string()
  .regex(/^[a-zA-Z0-9_.-]{1,64}$/, "node ids are 1-64 characters of a-z A-Z 0-9 _ . -");

/** What an agent says about itself when it polls: its data, never the data itself. */
export const AgentHello = z
  .object({
    /** Where its data comes from, e.g. "mnist:0-600" or "idx:/data/site-a". */
    data: z.string().max(300),
    samples: z.number().int().min(1),
    /** Samples per class: of the 10 classes of a packaged dataset, or of `classes` (own data). */
    histogram: z.array(z.number().int().min(0)).min(1).max(255),
    /** Own data: the class names its histogram counts, e.g. its image folder's subfolders. */
    classes: z.array(z.string().min(1).max(100)).min(1).max(255).optional(),
    /** Own table: its header's column names (the coordinator checks them against the run's). */
    columns: z.array(z.string().max(200)).min(1).max(10_000).optional(),
    backend: z.string().max(40),
  })
  .strict()
  .refine(
    (h) => (h.classes ? h.classes.length === h.histogram.length : h.histogram.length === 10),
    {
      message: "the histogram has one count per class: 10, or one per name in classes",
      path: ["histogram"],
    },
  )
  .refine((h) => h.histogram.reduce((a, b) => a + b, 0) === h.samples, {
    message: "the label histogram must add up to the announced sample count",
    path: ["histogram"],
  });
export type AgentHello = z.infer<typeof AgentHello>;

/**
 * The secure-aggregation part of a round task. The agent runs SecAggClient over the
 * /api/agent/tasks/{taskId}/secagg/… endpoints with this session config (its sessionId is
 * `${chainRunId}/round-${round}`, its vectorLength the model's parameter count) and masks
 * weight x (its trained model - the global model), where weight is
 *  - "samples": its own sample count / `normaliser`, a public cap the coordinator takes from the
 *    sample counts the round's agents announced (FedAvg: the coordinator divides the unmasked sum
 *    by the survivors' signed sample counts / normaliser), or
 *  - "equal": 1, with differential privacy (DP-FedAvg averages clipped, noised deltas equally).
 * It signs (EIP-712, update-signing.ts) its sample count and keccak256 of its masked input's bytes.
 */
export const AgentSecureTask = z.object({
  config: SecAggConfigSchema,
  weighting: z.discriminatedUnion("kind", [
    z.object({ kind: z.literal("samples"), normaliser: z.number().int().min(1) }),
    z.object({ kind: z.literal("equal") }),
  ]),
});
export type AgentSecureTask = z.infer<typeof AgentSecureTask>;

/** One round's training task for one node. Weights are fetched separately (binary). */
export const AgentTask = z.object({
  taskId: z.string(),
  runId: z.string(),
  chainRunId: z.string(),
  round: z.number().int().min(1),
  model: ModelRefSchema,
  dataset: RunDataset,
  /** dataset "own": the resolved spec the agent reads its own data with (and checks it against). */
  data: OwnDataSpecSchema.optional(),
  parameterCount: z.number().int().positive(),
  epochs: z.number().int().min(1),
  batchSize: z.number().int().min(1),
  learningRate: z.number().positive(),
  seed: z.number().int().min(0),
  proxMu: z.number().min(0).optional(),
  /** DP-FedAvg: clip the delta to clipNorm and add N(0, (noiseMultiplier x clipNorm)^2) noise. */
  privacy: z
    .object({ clipNorm: z.number().positive(), noiseMultiplier: z.number().min(0) })
    .optional(),
  /** EIP-712 domain the update must be signed for. */
  domain: z.object({ chainId: z.number().int(), verifyingContract: z.string() }),
  /** Unix ms after which the coordinator no longer waits for this update. */
  deadline: z.number().int(),
  /** Secure aggregation: mask the (weighted) delta with SecAgg instead of sending the update. */
  secure: AgentSecureTask.optional(),
  /**
   * A compressing run: the settings both ends apply, in the payload wire format `wireFormat`
   * (compression/payload-format.ts). The weights download is then a payload when the download is
   * quantised, and the update is the compressed delta; an agent refuses a format it does not speak.
   */
  compression: z.object({ wireFormat: z.number().int(), spec: CompressionSpec }).optional(),
});
export type AgentTask = z.infer<typeof AgentTask>;

/** The weight an agent applies to its delta before masking (see AgentSecureTask). */
export function secureInputWeight(
  weighting: AgentSecureTask["weighting"],
  samples: number,
): number {
  return weighting.kind === "equal" ? 1 : samples / weighting.normaliser;
}

/** The session id of a round's secure aggregation: it binds the masks to the run and round. */
export function secureSessionId(chainRunId: string, round: number): string {
  return `${chainRunId.toLowerCase()}/round-${round}`;
}

/** keccak256 of a masked input's bytes (the base64 of its little-endian uint32 words). */
export function hashMaskedInput(maskedInputBase64: string): `0x${string}` {
  return keccak256Bytes(new Uint8Array(Buffer.from(maskedInputBase64, "base64")));
}

/** The SecAgg messages agents post, and the server messages they long-poll for, by URL name. */
export const SECAGG_POSTS = ["advertise-keys", "share-keys", "masked-input", "unmasking"] as const;
export const SECAGG_POLLS = ["roster", "delivery", "unmask-request"] as const;
export type SecAggPost = (typeof SECAGG_POSTS)[number];
export type SecAggPoll = (typeof SECAGG_POLLS)[number];

/** An agent declining a task below its operator's privacy floor, and why. */
export const AgentRefusal = z.object({ reason: z.string().min(1).max(500) }).strict();

/** What an agent reports of its own resource use with each progress message (domain/round.ts). */
export const AgentResources = AgentResourceReport;
export type AgentResources = AgentResourceReport;

export const AgentProgress = z
  .object({
    epoch: z.number().int().min(0),
    batch: z.number().int().min(0),
    batches: z.number().int().min(0),
    loss: z.number(),
    resources: AgentResources.optional(),
  })
  .strict();

/** Metadata of an update (header x-fedledger-update, base64url JSON); the body is the weights. */
export const AgentUpdateHeader = z
  .object({
    runId: z.string().regex(/^0x[0-9a-fA-F]{64}$/),
    round: z.number().int().min(1),
    updateHash: z.string().regex(/^0x[0-9a-fA-F]{64}$/),
    samples: z.number().int().min(1),
    signature: z.string().regex(/^0x[0-9a-fA-F]+$/),
    trainLoss: z.number(),
    /** With privacy: whether the delta's norm was within the clip norm. */
    unclipped: z.boolean().optional(),
  })
  .strict();
export type AgentUpdateHeader = z.infer<typeof AgentUpdateHeader>;

/**
 * The metadata an agent signs and sends with its masked input: the same fields as an update's
 * header, with updateHash = hashMaskedInput(maskedInput), keccak256 of the masked vector's bytes.
 */
export const AgentSecureCommitment = AgentUpdateHeader;
export type AgentSecureCommitment = z.infer<typeof AgentSecureCommitment>;

export function encodeUpdateHeader(h: AgentUpdateHeader): string {
  return Buffer.from(JSON.stringify(h)).toString("base64url");
}

export function decodeUpdateHeader(value: string): AgentUpdateHeader {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, "base64url").toString("utf8"));
  } catch {
    throw new z.ZodError([
      { code: "custom", path: [AGENT_HEADERS.update], message: "not base64url JSON", input: value },
    ]);
  }
  return AgentUpdateHeader.parse(parsed);
}

/** Weights on the wire: little-endian float32 bytes. */
export function weightsToBytes(w: Float32Array): Uint8Array {
  return new Uint8Array(w.buffer, w.byteOffset, w.byteLength);
}

export function bytesToWeights(b: Uint8Array): Float32Array {
  if (b.byteLength % 4 !== 0) throw new RangeError("weights must be a whole number of float32s");
  const copy = new Uint8Array(b.byteLength);
  copy.set(b);
  return new Float32Array(copy.buffer);
}
