import type { Request } from "express";
import {
  AGENT_CLOCK_SKEW_MS,
  AGENT_HEADERS,
  NodeIdSchema,
  agentRequestSigner,
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

/**
 * Checks an agent request's signature against the node's registered wallet (see
 * agent-protocol.ts for what is signed), and keeps the node's status fresh in the store.
 */
export function agentAuthenticator(
  db: SqlDatabase,
  hub: RemoteNodeHub,
): (req: Request) => Promise<AuthenticatedAgent> {
  const lastWrite = new Map<string, number>();
  return async (req) => {
    const nodeId = NodeIdSchema.safeParse(req.header(AGENT_HEADERS.node));
    const time = Number(req.header(AGENT_HEADERS.time));
    const signature = req.header(AGENT_HEADERS.signature);
    if (!nodeId.success || !Number.isInteger(time) || !signature?.startsWith("0x")) {
      throw new HttpError(
        401,
        "agent_unauthenticated",
        `agent calls need ${AGENT_HEADERS.node}, ${AGENT_HEADERS.time} and ${AGENT_HEADERS.signature} headers`,
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
      nodeId.data,
      req.method,
      req.baseUrl + req.path,
      time,
      body,
      signature as `0x${string}`,
    );
    if (!signer || signer.toLowerCase() !== node.wallet.toLowerCase()) {
      throw new HttpError(
        401,
        "agent_bad_signature",
        `the request was not signed by ${node.wallet}, the wallet of ${nodeId.data}`,
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
