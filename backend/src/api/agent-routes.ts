import express, { Router, type Request, type RequestHandler } from "express";
import { z } from "zod";
import {
  AGENT_HEADERS,
  AgentHello,
  AgentProgress,
  AgentRefusal,
  SECAGG_POLLS,
  SECAGG_POSTS,
  bytesToWeights,
  decodeUpdateHeader,
  weightsToBytes,
} from "../nodes/agent-protocol.js";
import { payloadProblem } from "../compression/update-compression.js";
import { tensorSizes } from "../compression/run-compression.js";
import type { RemoteNodeHub } from "../nodes/remote-node-hub.js";
import { SecAggCallRefused } from "../nodes/remote-secagg-session.js";
import { nodesRepo } from "../store/repos/nodes-repo.js";
import type { SqlDatabase } from "../store/sql-database.js";
import { agentAuthenticator, type AuthenticatedAgent } from "./agent-auth.js";
import type { RequestWithRawBody } from "./app.js";
import { HttpError } from "./http-errors.js";

export interface AgentRouteDeps {
  db: SqlDatabase;
  hub: RemoteNodeHub;
  /** The EIP-712 domain nodes sign registrations and updates for (from the deployment). */
  domain: () => { chainId: number; verifyingContract: `0x${string}` } | undefined;
}

const TaskId = z.string().regex(/^task-[0-9a-f]{16}$/, "expected a task id");
const PollQuery = z.object({
  waitMs: z.coerce.number().int().min(0).max(60_000).default(20_000),
});

/**
 * The node agents' API (`/api/agent/…`): no admin token, but every call is signed by the node's
 * registered wallet, and every update by its EIP-712 update signature (checked by the round).
 */
export function agentRoutes(deps: AgentRouteDeps): Router {
  const router = Router();
  const { hub } = deps;
  const authenticate = agentAuthenticator(deps.db, hub);

  router.get("/agent/domain", (_req, res) => {
    const d = deps.domain();
    if (!d) throw new HttpError(503, "chain_not_ready", "no contract deployment yet");
    res.json(d);
  });

  router.post("/agent/hello", async (req, res) => {
    const { nodeId, wallet } = await authenticate(req);
    const hello = AgentHello.parse(req.body);
    hub.seen(nodeId, wallet, hello);
    res.json({ nodeId, wallet, online: true });
  });

  router.get("/agent/task", async (req, res) => {
    const { nodeId, wallet } = await authenticate(req);
    if (!hub.get(nodeId)?.hello) {
      throw new HttpError(409, "agent_hello_first", "POST /api/agent/hello before polling");
    }
    hub.seen(nodeId, wallet);
    const { waitMs } = PollQuery.parse(req.query);
    let closed = false;
    const endPoll = hub.openPoll(nodeId);
    req.on("close", () => {
      closed = true;
      endPoll();
    });
    let task;
    try {
      task = await hub.nextTask(nodeId, waitMs);
    } finally {
      endPoll();
    }
    if (closed) return;
    hub.seen(nodeId, wallet);
    if (!task) {
      res.status(204).end();
      return;
    }
    res.json(task);
  });

  router.get("/agent/tasks/:taskId/weights", async (req, res) => {
    const { nodeId } = await authenticate(req);
    const t = hub.taskFor(TaskId.parse(req.params.taskId), nodeId);
    if (!t) throw new HttpError(404, "task_not_found", "no such open task for this node");
    // A compressing run's quantised download is the payload; otherwise the raw float32 weights.
    res.type("application/octet-stream").send(Buffer.from(t.download ?? weightsToBytes(t.weights)));
  });

  router.post("/agent/tasks/:taskId/progress", async (req, res) => {
    const { nodeId, wallet } = await authenticate(req);
    hub.seen(nodeId, wallet);
    // Its resource report (AgentResources, strict) is kept as the node's latest and shown live.
    const p = AgentProgress.parse(req.body);
    if (!hub.progress(TaskId.parse(req.params.taskId), nodeId, p)) {
      throw new HttpError(409, "task_closed", "this task's round is over");
    }
    res.status(204).end();
  });

  router.post("/agent/tasks/:taskId/refuse", async (req, res) => {
    const { nodeId, wallet } = await authenticate(req);
    hub.seen(nodeId, wallet);
    const { reason } = AgentRefusal.parse(req.body);
    if (!hub.refuse(TaskId.parse(req.params.taskId), nodeId, reason)) {
      throw new HttpError(404, "task_not_found", "no such open task for this node");
    }
    await nodesRepo.setRefusing(deps.db, nodeId, reason);
    res.status(204).end();
  });

  router.post(
    "/agent/tasks/:taskId/update",
    express.raw({ type: "application/octet-stream", limit: "64mb" }),
    updateHandler(authenticate, hub),
  );

  secaggRoutes(router, authenticate, hub);
  return router;
}

/**
 * Secure aggregation (tasks with `secure`): the agent posts its SecAgg messages and long-polls for
 * the coordinator's answers; see nodes/remote-secagg-session.ts for the stages.
 */
function secaggRoutes(
  router: Router,
  authenticate: (req: Request) => Promise<AuthenticatedAgent>,
  hub: RemoteNodeHub,
): void {
  async function secureTask(req: Request) {
    const { nodeId, wallet } = await authenticate(req);
    hub.seen(nodeId, wallet);
    const taskId = TaskId.parse(req.params.taskId);
    const t = hub.taskFor(taskId, nodeId);
    if (!t) throw new HttpError(404, "task_not_found", "no such open task for this node");
    if (!t.session) {
      throw new HttpError(409, "task_not_secure", "this task does not use secure aggregation");
    }
    return { nodeId, taskId, session: t.session };
  }
  const refused = (err: unknown): never => {
    if (err instanceof SecAggCallRefused) {
      throw new HttpError(err.code === "secagg_malformed" ? 400 : 409, err.code, err.message);
    }
    throw err;
  };

  router.post("/agent/tasks/:taskId/secagg/:message", async (req, res) => {
    const kind = z.enum(SECAGG_POSTS).parse(req.params.message);
    const { nodeId, taskId, session } = await secureTask(req);
    const submission = await session.receive(nodeId, kind, req.body).catch(refused);
    // Its upload: the masked input's message as received (the JSON bytes the node signed).
    const bytes = (req as RequestWithRawBody).rawBody?.byteLength ?? 0;
    if (submission) hub.submitSecure(taskId, nodeId, submission, bytes);
    res.status(202).json({ received: true });
  });

  router.get("/agent/tasks/:taskId/secagg/:message", async (req, res) => {
    const kind = z.enum(SECAGG_POLLS).parse(req.params.message);
    const { nodeId, session } = await secureTask(req);
    const { waitMs } = PollQuery.parse(req.query);
    let closed = false;
    req.on("close", () => (closed = true));
    const message = await session.poll(nodeId, kind, waitMs).catch(refused);
    if (closed) return;
    if (!message) {
      res.status(204).end();
      return;
    }
    res.json(message);
  });
}

/**
 * An update's body: a compressing run's payload, checked against the run's settings here so the
 * agent hears what is wrong (and the round records it as the node's outcome); else float32 weights.
 */
function readUpdateBody(
  hub: RemoteNodeHub,
  taskId: string,
  nodeId: string,
  body: Buffer,
): { weights: Float32Array } | { payload: Uint8Array } {
  const compression = hub.taskFor(taskId, nodeId)?.task.compression;
  if (compression) {
    const payload = new Uint8Array(body);
    const problem = payloadProblem(
      payload,
      compression.spec.upload,
      tensorSizes(hub.taskFor(taskId, nodeId)!.task.model),
    );
    if (problem) {
      hub.rejectUpdate(taskId, nodeId, problem);
      throw new HttpError(400, "update_payload_invalid", problem);
    }
    return { payload };
  }
  try {
    return { weights: bytesToWeights(body) };
  } catch (err) {
    throw new HttpError(400, "update_body_invalid", (err as Error).message);
  }
}

/** POST /agent/tasks/:taskId/update: the trained weights with their signed metadata. */
function updateHandler(
  authenticate: (req: Request) => Promise<AuthenticatedAgent>,
  hub: RemoteNodeHub,
): RequestHandler {
  return async (req, res) => {
    const { nodeId, wallet } = await authenticate(req);
    hub.seen(nodeId, wallet);
    const taskId = TaskId.parse(req.params.taskId);
    const raw = req.header(AGENT_HEADERS.update);
    if (!raw) {
      throw new HttpError(400, "update_header_missing", `missing ${AGENT_HEADERS.update} header`);
    }
    const meta = decodeUpdateHeader(raw);
    if (!Buffer.isBuffer(req.body)) {
      throw new HttpError(
        415,
        "update_body_type",
        "send the weights as application/octet-stream (little-endian float32, or the run's compressed payload)",
      );
    }
    const update = readUpdateBody(hub, taskId, nodeId, req.body);
    const accepted = hub.submit(
      taskId,
      nodeId,
      update,
      {
        runId: meta.runId as `0x${string}`,
        round: meta.round,
        updateHash: meta.updateHash as `0x${string}`,
        samples: meta.samples,
        signature: meta.signature as `0x${string}`,
      },
      meta.trainLoss,
      meta.unclipped,
    );
    if (!accepted) {
      throw new HttpError(
        409,
        "task_closed",
        "this task's round is over (the update came after the round timeout)",
      );
    }
    res.status(202).json({ received: true });
  };
}
