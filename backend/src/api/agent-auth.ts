import type { Request } from "express";
import {
  AGENT_CLOCK_SKEW_MS,
  AGENT_HEADERS,
  NodeIdSchema,
  agentRequestSigner,
  signedAgentHeaders,
} from "../nodes/agent-protocol.js";
import type { RemoteNodeHub } from "../nodes/remote-node-hub.js";
import { nodesRepo } from "../store/repos/nodes-repo.js";
import type { SqlDatabase } from "../store/sql-database.js";
import type { RequestWithRawBody } from "./app.js";
import { HttpError } from "./http-errors.js";

export interface AuthenticatedAgent {
  nodeId: string;
  wallet: `0x${string}`;
}

/** How often an agent's calls refresh its node's status in the store. */
const STATUS_WRITE_EVERY_MS = 5_000;
/** Nonces remembered for replay checks; past this many the oldest are dropped (all are expired). */
const MAX_NONCES = 200_000;

/**
 * The nonces of requests accepted within the clock window. A request is valid for
 * ±AGENT_CLOCK_SKEW_MS around its time, so a nonce needs remembering only that long.
 */
class NonceCache {
  private readonly seen = new Map<string, number>();

  /** False when the nonce was used before (a replay). */
  use(nonce: string, time: number): boolean {
    const now = Date.now();
    if (this.seen.has(nonce)) return false;
    this.seen.set(nonce, time + AGENT_CLOCK_SKEW_MS);
    if (this.seen.size > MAX_NONCES || this.seen.size % 1024 === 0) {
      for (const [n, expires] of this.seen) {
        if (expires < now || this.seen.size > MAX_NONCES) this.seen.delete(n);
        else break;
      }
    }
    return true;
  }
}

/**
 * Checks an agent request's signature against the node's registered wallet (see
 * agent-protocol.ts for what is signed), and keeps the node's status fresh in the store.
 */
export function agentAuthenticator(
  db: SqlDatabase,
  hub: RemoteNodeHub,
): (req: Request) => Promise<AuthenticatedAgent> {
  const lastWrite = new Map<string, number>();
  const nonces = new NonceCache();
  return async (req) => {
    const nodeId = NodeIdSchema.safeParse(req.header(AGENT_HEADERS.node));
    const time = Number(req.header(AGENT_HEADERS.time));
    const nonce = req.header(AGENT_HEADERS.nonce);
    const signature = req.header(AGENT_HEADERS.signature);
    if (
      !nodeId.success ||
      !Number.isInteger(time) ||
      !nonce ||
      !/^[0-9a-f]{32}$/.test(nonce) ||
      !signature?.startsWith("0x")
    ) {
      throw new HttpError(
        401,
        "agent_unauthenticated",
        `agent calls need ${AGENT_HEADERS.node}, ${AGENT_HEADERS.time}, ${AGENT_HEADERS.nonce} (32 hex digits) and ${AGENT_HEADERS.signature} headers`,
      );
    }
    if (Math.abs(Date.now() - time) > AGENT_CLOCK_SKEW_MS) {
      throw new HttpError(
        401,
        "agent_clock_skew",
        `the request time is more than ${AGENT_CLOCK_SKEW_MS / 1000} s from the coordinator's clock`,
      );
    }
    const node = await nodesRepo.get(db, nodeId.data);
    if (!node) {
      throw new HttpError(
        404,
        "node_not_registered",
        `node ${nodeId.data} is not registered: POST /api/nodes first`,
      );
    }
    // The bytes the agent sent: raw for the update upload, the parsed JSON's source otherwise.
    const body = Buffer.isBuffer(req.body) ? req.body : (req as RequestWithRawBody).rawBody;
    const signer = await agentRequestSigner(
      {
        nodeId: nodeId.data,
        method: req.method,
        target: req.originalUrl,
        time,
        nonce,
        headers: signedAgentHeaders(req.headers as Record<string, string | undefined>),
        body,
      },
      signature as `0x${string}`,
    );
    if (!signer || signer.toLowerCase() !== node.wallet.toLowerCase()) {
      throw new HttpError(
        401,
        "agent_bad_signature",
        `the request was not signed by ${node.wallet}, the wallet of ${nodeId.data}`,
      );
    }
    // Checked after the signature, so nobody can burn a node's nonces with unsigned requests.
    if (!nonces.use(`${nodeId.data}:${nonce}`, time)) {
      throw new HttpError(
        401,
        "agent_replay",
        "this request was already received (replayed nonce)",
      );
    }
    const now = Date.now();
    if (now - (lastWrite.get(nodeId.data) ?? 0) > STATUS_WRITE_EVERY_MS) {
      lastWrite.set(nodeId.data, now);
      await nodesRepo.setStatus(
        db,
        nodeId.data,
        hub.get(nodeId.data)?.taskId ? "training" : "idle",
      );
    }
    return { nodeId: nodeId.data, wallet: node.wallet as `0x${string}` };
  };
}
