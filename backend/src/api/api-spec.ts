// Every route of the coordinator's API, described once with the zod schemas it reads and writes:
// the OpenAPI document (openapi.ts) is generated from this table, requests are parsed with the
// same schemas in the route handlers, and the tests check real responses against the document.
import { z } from "zod";
import { describeCatalogues } from "../domain/catalogues.js";
import { RecoveryRequest } from "./admin-routes.js";
import { resultOperations, RunListQuery } from "./result-operations.js";
import {
  Address,
  ContributionRecord,
  ContributionTotals,
  ContributionsQuery,
  ContributionTotalsQuery,
  CreateRunRequest,
  NodeId,
  NodeSummary,
  RegisterNodeRequest,
  RewardsSummary,
  RoundRecord,
  RunId,
  RunNodeInfo,
  RunSummary,
} from "../domain/index.js";
import {
  AgentHello,
  AgentProgress,
  AgentRefusal,
  AgentSecureCommitment,
  AgentTask,
  AgentUpdateHeader,
  SECAGG_POLLS,
  SECAGG_POSTS,
} from "../nodes/agent-protocol.js";
import {
  AdvertiseKeysMessageSchema,
  KeyRosterMessageSchema,
  MaskedInputMessageSchema,
  ShareDeliveryMessageSchema,
  ShareKeysMessageSchema,
  UnmaskingMessageSchema,
  UnmaskRequestMessageSchema,
} from "../secagg/index.js";

import {
  Catalogues,
  ErrorBody,
  HealthReport,
  OutboxItemView,
  OutboxQuery,
  Domain,
  Received,
} from "./api-schemas.js";
import { artifactOperations } from "./artifact-operations.js";
import { alertOperations } from "./alert-operations.js";
import type { OperationSpec, ResponseSpec } from "./operation-spec.js";

export type { OperationSpec, ResponseSpec, Security } from "./operation-spec.js";

export { ErrorBody, HealthReport, OutboxQuery } from "./api-schemas.js";

const error = (description: string): ResponseSpec => ({ description, body: ErrorBody });
const E = {
  400: error("The request does not match the schema (the message names each field)"),
  401: error("Missing or wrong credentials (admin token, or the agent's request signature)"),
  404: error("No such resource"),
  409: error("Not possible in the resource's current state"),
  413: error("The request body is too large"),
  415: error("The request body has the wrong content type"),
  503: error("The chain or the contracts are not ready"),
};

/**
 * The errors every operation of a kind can answer: a body can be malformed or too large, an admin
 * call can lack its token, an agent call can be unsigned or come from an unregistered node, and
 * any call can come while the coordinator shuts down.
 */
function withCommonErrors(op: OperationSpec): OperationSpec {
  const r = { ...op.responses };
  // Without an admin token the coordinator answers loopback hosts and origins only.
  r[403] ??= error("Refused: not a loopback Host or Origin (a coordinator without ADMIN_TOKEN)");
  // While the coordinator shuts down (api/request-drain.ts), with a Retry-After header.
  r[503] ??= error("The chain or the contracts are not ready, or the coordinator is shutting down");
  if (op.body) {
    r[400] ??= E[400];
    r[413] ??= E[413];
    r[415] ??= E[415];
  }
  if (op.security === "admin") r[401] ??= E[401];
  if (op.security === "agent") {
    r[401] ??= E[401];
    r[404] ??= error("The node is not registered, or has no such open task");
  }
  return { ...op, responses: r };
}
const json = (description: string, body: z.ZodType): ResponseSpec => ({ description, body });

const runPath = z.object({ id: RunId });
const taskPath = z.object({ taskId: z.string() });
const waitQuery = z.object({ waitMs: z.coerce.number().int().min(0).max(60_000).optional() });

const OPERATION_LIST: OperationSpec[] = [
  {
    method: "get",
    path: "/api/health",
    summary: "Chain, store, engine and outbox status (always 200; status says ok or degraded)",
    responses: { 200: json("Status", HealthReport) },
  },
  {
    method: "get",
    path: "/api/outbox",
    summary:
      "Chain writes (run and node registrations, round records) with their status, attempts and last error; failed ones are parked for good with the revert's reason",
    params: { query: OutboxQuery },
    responses: { 200: json("Outbox items, newest first", z.array(OutboxItemView)), 400: E[400] },
  },
  {
    method: "post",
    path: "/api/admin/chain-recovery",
    summary:
      "After the chain was reset and the contracts deployed again (npm run deploy:local): bind the store to the new deployment and record every run, node registration and round on it again",
    security: "admin",
    body: RecoveryRequest,
    responses: {
      200: json(
        "Queued again",
        z.object({
          deployment: z.object({ chainId: z.number(), ledger: z.string(), deployedAt: z.string() }),
          requeued: z.number().int(),
          runs: z.number().int(),
          rounds: z.number().int(),
        }),
      ),
      409: error("Nothing to recover, no live deployment, or the addresses changed"),
      503: E[503],
    },
  },
  {
    method: "get",
    path: "/api/catalogues",
    summary:
      "Every catalogue (strategies, reward policies, attacks, datasets, models, presets) with labels, help and parameters",
    responses: { 200: json("Catalogues", Catalogues) },
  },
  {
    method: "get",
    path: "/api/runs",
    summary: "List runs (archived ones only when asked for)",
    params: { query: RunListQuery },
    responses: { 200: json("Every run, newest first", z.array(RunSummary)), 400: E[400] },
  },
  {
    method: "post",
    path: "/api/runs",
    summary: "Create and start a run",
    security: "admin",
    body: CreateRunRequest,
    responses: {
      201: json(
        "The new run (queued until there is room; it starts at once when there is)",
        RunSummary,
      ),
      400: E[400],
      401: E[401],
      422: error("Larger than the coordinator takes: the message names the limit and the estimate"),
      429: error("The queue is full, or too many chain writes wait: try again later"),
      503: E[503],
    },
  },
  {
    method: "get",
    path: "/api/runs/{id}",
    summary: "One run",
    params: { path: runPath },
    responses: { 200: json("The run", RunSummary), 400: E[400], 404: E[404] },
  },
  ...(["pause", "resume", "stop"] as const).map((a): OperationSpec => ({
    method: "post",
    path: `/api/runs/{id}/${a}`,
    summary: `${a[0]!.toUpperCase()}${a.slice(1)} a run (takes effect between rounds)`,
    security: "admin",
    params: { path: runPath },
    responses: {
      200: json("The run", RunSummary),
      400: E[400],
      401: E[401],
      404: E[404],
      409: E[409],
    },
  })),
  {
    method: "get",
    path: "/api/runs/{id}/rounds",
    summary:
      "Per round: test loss and accuracy, participants, accepted/rejected updates with reasons, duration, model hash, tx hash",
    params: { path: runPath },
    responses: { 200: json("The run's rounds", z.array(RoundRecord)), 400: E[400], 404: E[404] },
  },
  {
    method: "get",
    path: "/api/runs/{id}/nodes",
    summary: "The run's nodes with their label histograms",
    params: { path: runPath },
    responses: { 200: json("The run's nodes", z.array(RunNodeInfo)), 400: E[400], 404: E[404] },
  },
  {
    method: "get",
    path: "/api/runs/{id}/events",
    summary:
      "Server-Sent Events: run-status, round-started, node-progress, node-finished, round-aggregated, contribution-recorded, log (history replayed first)",
    params: { path: runPath },
    responses: {
      200: { description: "An event stream", contentType: "text/event-stream" },
      400: E[400],
      404: E[404],
      429: error("Too many open event streams for this client or run"),
    },
  },
  {
    method: "get",
    path: "/api/nodes",
    summary: "Registered nodes with totals",
    responses: { 200: json("Every node", z.array(NodeSummary)) },
  },
  {
    method: "post",
    path: "/api/nodes",
    summary: "Register a node: its wallet's EIP-712 signature over (nodeId, wallet, deadline)",
    body: RegisterNodeRequest,
    responses: {
      201: json("Registered", NodeSummary),
      200: json("Already registered with this wallet", NodeSummary),
      400: E[400],
      409: E[409],
      503: E[503],
    },
  },
  {
    method: "get",
    path: "/api/nodes/{id}",
    summary: "One node",
    params: { path: z.object({ id: NodeId }) },
    responses: { 200: json("The node", NodeSummary), 400: E[400], 404: E[404] },
  },
  {
    method: "get",
    path: "/api/contributions",
    summary:
      "Recorded contributions (from the store; the chain is the source of truth, see /api/rewards)",
    params: { query: ContributionsQuery },
    responses: { 200: json("Contributions", z.array(ContributionRecord)), 400: E[400] },
  },
  {
    method: "get",
    path: "/api/contributions/totals",
    summary:
      "Every stored contribution of a run (or of all runs) summed: how many, how many on chain, recorded and pending wei",
    params: { query: ContributionTotalsQuery },
    responses: { 200: json("Totals", ContributionTotals), 400: E[400], 404: E[404] },
  },
  {
    method: "get",
    path: "/api/rewards/{address}",
    summary: "A wallet's recorded, claimed and claimable rewards, read from the chain",
    params: { path: z.object({ address: Address }) },
    responses: { 200: json("Rewards", RewardsSummary), 400: E[400], 503: E[503] },
  },
  {
    method: "get",
    path: "/api/agent/domain",
    summary:
      "Node agents: the EIP-712 domain (chain id, ledger) to sign registrations and updates for",
    responses: { 200: json("The domain", Domain), 503: E[503] },
  },
  {
    method: "post",
    path: "/api/agent/hello",
    summary: "Node agents: announce the node's data (sample count, label histogram) and engine",
    security: "agent",
    body: AgentHello,
    responses: {
      200: json(
        "Online",
        z.object({ nodeId: z.string(), wallet: Address, online: z.literal(true) }),
      ),
      400: E[400],
      401: E[401],
    },
  },
  {
    method: "get",
    path: "/api/agent/task",
    summary: "Node agents: long-poll for the node's next round task (204 when none came)",
    security: "agent",
    params: { query: waitQuery },
    responses: {
      200: json("A task", AgentTask),
      204: { description: "No task within waitMs" },
      400: E[400],
      401: E[401],
      409: E[409],
    },
  },
  {
    method: "get",
    path: "/api/agent/tasks/{taskId}/weights",
    summary:
      "Node agents: the round's global model, little-endian float32, or (a run with compression.download) a payload in the compressed wire format v1",
    security: "agent",
    params: { path: taskPath },
    responses: {
      200: { description: "Weights", contentType: "application/octet-stream" },
      401: E[401],
      404: E[404],
    },
  },
  {
    method: "post",
    path: "/api/agent/tasks/{taskId}/progress",
    summary: "Node agents: training progress (shown live on the dashboard)",
    security: "agent",
    params: { path: taskPath },
    body: AgentProgress,
    responses: { 204: { description: "Accepted" }, 409: error("The task's round is over") },
  },
  {
    method: "post",
    path: "/api/agent/tasks/{taskId}/refuse",
    summary:
      "Node agents: decline a task below the operator's privacy floor (the node shows as refusing, with the reason)",
    security: "agent",
    params: { path: taskPath },
    body: AgentRefusal,
    responses: { 204: { description: "Declined" } },
  },
  {
    method: "post",
    path: "/api/agent/tasks/{taskId}/update",
    summary:
      "Node agents: the trained update (float32 weights, or in a compressing run the compressed delta in wire format v1: a malformed one is refused with update_payload_invalid and the reason) with its EIP-712-signed metadata in x-fedledger-update (base64url JSON); updateHash is keccak256 of the body",
    security: "agent",
    params: {
      path: taskPath,
      header: z.object({ "x-fedledger-update": AgentUpdateHeader }),
    },
    body: "octet-stream",
    responses: {
      202: json("Received for the round (validated when the round aggregates)", Received),
      415: E[415],
      400: E[400],
      401: E[401],
      404: E[404],
      409: E[409],
    },
  },
  {
    method: "post",
    path: "/api/agent/tasks/{taskId}/secagg/{message}",
    summary:
      "Node agents, secure rounds: a SecAgg message (advertise-keys, share-keys, masked-input with the node's EIP-712-signed commitment to its sample count and the keccak256 of its masked input's bytes, unmasking)",
    security: "agent",
    params: { path: taskPath.extend({ message: z.enum(SECAGG_POSTS) }) },
    body: z.union([
      AdvertiseKeysMessageSchema,
      ShareKeysMessageSchema,
      z.object({ message: MaskedInputMessageSchema, commitment: AgentSecureCommitment }),
      UnmaskingMessageSchema,
    ]),
    responses: {
      202: json("Accepted into the round's secure aggregation", Received),
      400: E[400],
      401: E[401],
      404: E[404],
      409: E[409],
    },
  },
  {
    method: "get",
    path: "/api/agent/tasks/{taskId}/secagg/{message}",
    summary:
      "Node agents, secure rounds: long-poll for the coordinator's SecAgg message (roster, delivery, unmask-request); 204 when the stage has not closed within waitMs, 409 when the node was left out or the session failed",
    security: "agent",
    params: { path: taskPath.extend({ message: z.enum(SECAGG_POLLS) }), query: waitQuery },
    responses: {
      200: json(
        "The server's message for this node",
        z.union([KeyRosterMessageSchema, ShareDeliveryMessageSchema, UnmaskRequestMessageSchema]),
      ),
      204: { description: "Not yet" },
      400: E[400],
      401: E[401],
      404: E[404],
      409: E[409],
    },
  },
];

OPERATION_LIST.push(
  ...artifactOperations(runPath),
  ...resultOperations(runPath),
  ...alertOperations(),
);

export const OPERATIONS: readonly OperationSpec[] = OPERATION_LIST.map(withCommonErrors);

/** The catalogues as GET /api/catalogues serves them (computed once: they never change). */
export const CATALOGUES = describeCatalogues();
