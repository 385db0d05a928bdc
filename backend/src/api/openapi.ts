import { createRequire } from "node:module";
import path from "node:path";
import express, { Router } from "express";
import { z } from "zod";
import {
  AgentHello,
  AgentProgress,
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
  ContributionTotalsQuery,
  ContributionsQuery,
  CreateRunRequest,
  RegisterNodeRequest,
} from "../domain/index.js";

const json = (schema: z.ZodType) => z.toJSONSchema(schema, { io: "input", unrepresentable: "any" });

const errorResponse = {
  description: "Error",
  content: {
    "application/json": {
      schema: {
        type: "object",
        properties: {
          error: {
            type: "object",
            properties: { code: { type: "string" }, message: { type: "string" }, details: {} },
            required: ["code", "message"],
          },
        },
      },
    },
  },
};

const ok = (description: string) => ({
  description,
  content: { "application/json": { schema: {} } },
});
const runId = {
  name: "id",
  in: "path",
  required: true,
  schema: { type: "string", pattern: "^run-[0-9a-f]{10}$" },
};
const admin = [{ adminToken: [] }];
const agent = [{ nodeId: [], nodeTime: [], nodeSignature: [] }];
const taskId = { name: "taskId", in: "path", required: true, schema: { type: "string" } };

/** The OpenAPI 3.1 description of the coordinator's API, generated from the zod schemas. */
export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: "3.1.0",
    info: {
      title: "FedLedger coordinator API",
      version: "0.1.0",
      description:
        "Federated learning runs with coordinator-measured, on-chain contribution rewards. Mutating calls need `Authorization: Bearer <ADMIN_TOKEN>` except on the local development chain; node registration carries its own EIP-712 proof.",
    },
    servers: [{ url: "/" }],
    components: {
      securitySchemes: {
        adminToken: { type: "http", scheme: "bearer" },
        // Node agents sign every call with their wallet (EIP-191 personal_sign) over
        // "FedLedger agent request\nnode: <id>\ncall: <METHOD> <path>\ntime: <unix ms>\nbody: <keccak256
        // of the body's bytes, of no bytes without a body>".
        nodeId: { type: "apiKey", in: "header", name: "x-fedledger-node" },
        nodeTime: { type: "apiKey", in: "header", name: "x-fedledger-time" },
        nodeSignature: {
          type: "apiKey",
          in: "header",
          name: "x-fedledger-signature",
          description:
            "The node wallet's EIP-191 signature of `FedLedger agent request\\nnode: <id>\\ncall: <METHOD> <path>\\ntime: <unix ms>\\nbody: <keccak256 of the body's bytes>`",
        },
      },
    },
    paths: {
      "/api/health": {
        get: {
          summary: "Chain, store and engine status",
          responses: { 200: ok("Status (always 200)") },
        },
      },
      "/api/runs": {
        get: { summary: "List runs", responses: { 200: ok("RunSummary[]") } },
        post: {
          summary: "Create and start a run",
          security: admin,
          requestBody: {
            required: true,
            content: { "application/json": { schema: json(CreateRunRequest) } },
          },
          responses: {
            201: ok("RunSummary"),
            400: errorResponse,
            401: errorResponse,
            503: errorResponse,
          },
        },
      },
      "/api/runs/{id}": {
        get: {
          summary: "One run",
          parameters: [runId],
          responses: { 200: ok("RunSummary"), 404: errorResponse },
        },
      },
      ...Object.fromEntries(
        (["pause", "resume", "stop"] as const).map((a) => [
          `/api/runs/{id}/${a}`,
          {
            post: {
              summary: `${a[0]!.toUpperCase()}${a.slice(1)} a run (takes effect between rounds)`,
              security: admin,
              parameters: [runId],
              responses: { 200: ok("RunSummary"), 404: errorResponse, 409: errorResponse },
            },
          },
        ]),
      ),
      "/api/runs/{id}/rounds": {
        get: {
          summary:
            "Per round: test loss and accuracy, participants, accepted/rejected updates with reasons, duration, model hash, tx hash",
          parameters: [runId],
          responses: { 200: ok("RoundRecord[]"), 404: errorResponse },
        },
      },
      "/api/runs/{id}/nodes": {
        get: {
          summary: "The run's nodes with their label histograms",
          parameters: [runId],
          responses: { 200: ok("RunNodeInfo[]") },
        },
      },
      "/api/runs/{id}/events": {
        get: {
          summary:
            "Server-Sent Events: run-status, round-started, node-progress, node-finished, round-aggregated, contribution-recorded, log (history replayed first)",
          parameters: [runId],
          responses: {
            200: {
              description: "text/event-stream",
              content: { "text/event-stream": { schema: { type: "string" } } },
            },
          },
        },
      },
      "/api/nodes": {
        get: { summary: "Registered nodes with totals", responses: { 200: ok("NodeSummary[]") } },
        post: {
          summary:
            "Register a node: its wallet's EIP-712 signature over (nodeId, wallet, deadline)",
          requestBody: {
            required: true,
            content: { "application/json": { schema: json(RegisterNodeRequest) } },
          },
          responses: {
            201: ok("NodeSummary"),
            200: ok("Already registered"),
            400: errorResponse,
            409: errorResponse,
          },
        },
      },
      "/api/nodes/{id}": {
        get: {
          summary: "One node",
          parameters: [{ name: "id", in: "path", required: true, schema: { type: "string" } }],
          responses: { 200: ok("NodeSummary"), 404: errorResponse },
        },
      },
      "/api/contributions": {
        get: {
          summary:
            "Recorded contributions (from the store; the chain is the source of truth, see /api/rewards)",
          parameters: Object.entries(
            (json(ContributionsQuery) as { properties: Record<string, unknown> }).properties,
          ).map(([name, schema]) => ({ name, in: "query", required: false, schema })),
          responses: { 200: ok("ContributionRecord[]"), 400: errorResponse },
        },
      },
      "/api/contributions/totals": {
        get: {
          summary:
            "Every stored contribution of a run (or of all runs) summed: how many, how many on chain, recorded and pending wei",
          parameters: [
            {
              name: "run",
              in: "query",
              required: false,
              schema: json(ContributionTotalsQuery.shape.run),
            },
          ],
          responses: {
            200: ok("{ contributions, recorded, recordedWei, pendingWei }"),
            400: errorResponse,
            404: errorResponse,
          },
        },
      },
      "/api/agent/domain": {
        get: {
          summary:
            "Node agents: the EIP-712 domain (chain id, ledger) to sign registrations and updates for",
          responses: { 200: ok("{ chainId, verifyingContract }"), 503: errorResponse },
        },
      },
      "/api/agent/hello": {
        post: {
          summary:
            "Node agents: announce the node's data (sample count, label histogram) and engine",
          security: agent,
          requestBody: {
            required: true,
            content: { "application/json": { schema: json(AgentHello) } },
          },
          responses: {
            200: ok("{ nodeId, wallet, online }"),
            400: errorResponse,
            401: errorResponse,
          },
        },
      },
      "/api/agent/task": {
        get: {
          summary: "Node agents: long-poll for the node's next round task (204 when none came)",
          security: agent,
          parameters: [
            { name: "waitMs", in: "query", required: false, schema: { type: "integer" } },
          ],
          responses: {
            200: {
              description: "A task",
              content: { "application/json": { schema: json(AgentTask) } },
            },
            204: { description: "No task within waitMs" },
            401: errorResponse,
            409: errorResponse,
          },
        },
      },
      "/api/agent/tasks/{taskId}/weights": {
        get: {
          summary: "Node agents: the round's global model, little-endian float32",
          security: agent,
          parameters: [taskId],
          responses: {
            200: { description: "Weights", content: { "application/octet-stream": {} } },
            401: errorResponse,
            404: errorResponse,
          },
        },
      },
      "/api/agent/tasks/{taskId}/progress": {
        post: {
          summary: "Node agents: training progress (shown live on the dashboard)",
          security: agent,
          parameters: [taskId],
          requestBody: {
            required: true,
            content: { "application/json": { schema: json(AgentProgress) } },
          },
          responses: { 204: { description: "Accepted" }, 400: errorResponse, 401: errorResponse },
        },
      },
      "/api/agent/tasks/{taskId}/update": {
        post: {
          summary:
            "Node agents: the trained update (float32 body) with its EIP-712-signed metadata in x-fedledger-update (base64url JSON)",
          security: agent,
          parameters: [
            taskId,
            {
              name: "x-fedledger-update",
              in: "header",
              required: true,
              schema: json(AgentUpdateHeader),
            },
          ],
          requestBody: { required: true, content: { "application/octet-stream": {} } },
          responses: {
            202: ok("Received for the round (validated when the round aggregates)"),
            400: errorResponse,
            401: errorResponse,
            409: errorResponse,
          },
        },
      },
      "/api/agent/tasks/{taskId}/secagg/{message}": {
        post: {
          summary:
            "Node agents, secure rounds: a SecAgg message (advertise-keys, share-keys, masked-input with the node's EIP-712-signed commitment to its sample count and the keccak256 of its masked input's bytes, unmasking)",
          security: agent,
          parameters: [
            taskId,
            { name: "message", in: "path", required: true, schema: json(z.enum(SECAGG_POSTS)) },
          ],
          requestBody: {
            required: true,
            content: {
              "application/json": {
                schema: {
                  oneOf: [
                    json(AdvertiseKeysMessageSchema),
                    json(ShareKeysMessageSchema),
                    json(
                      z.object({
                        message: MaskedInputMessageSchema,
                        commitment: AgentSecureCommitment,
                      }),
                    ),
                    json(UnmaskingMessageSchema),
                  ],
                },
              },
            },
          },
          responses: {
            202: ok("Accepted into the round's secure aggregation"),
            400: errorResponse,
            401: errorResponse,
            404: errorResponse,
            409: errorResponse,
          },
        },
        get: {
          summary:
            "Node agents, secure rounds: long-poll for the coordinator's SecAgg message (roster, delivery, unmask-request); 204 when the stage has not closed within waitMs, 409 when the node was left out or the session failed",
          security: agent,
          parameters: [
            taskId,
            { name: "message", in: "path", required: true, schema: json(z.enum(SECAGG_POLLS)) },
            { name: "waitMs", in: "query", required: false, schema: { type: "integer" } },
          ],
          responses: {
            200: {
              description: "The server's message for this node",
              content: {
                "application/json": {
                  schema: {
                    oneOf: [
                      json(KeyRosterMessageSchema),
                      json(ShareDeliveryMessageSchema),
                      json(UnmaskRequestMessageSchema),
                    ],
                  },
                },
              },
            },
            204: { description: "Not yet" },
            401: errorResponse,
            404: errorResponse,
            409: errorResponse,
          },
        },
      },
      "/api/rewards/{address}": {
        get: {
          summary: "A wallet's recorded, claimed and claimable rewards, read from the chain",
          parameters: [
            {
              name: "address",
              in: "path",
              required: true,
              schema: { type: "string", pattern: "^0x[0-9a-fA-F]{40}$" },
            },
          ],
          responses: { 200: ok("RewardsSummary"), 400: errorResponse, 503: errorResponse },
        },
      },
    },
  };
}

const require = createRequire(import.meta.url);
const swaggerDir = path.dirname(require.resolve("swagger-ui-dist/package.json"));

const page = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>FedLedger API</title>
<link rel="stylesheet" href="/api/docs/assets/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="/api/docs/assets/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({ url: "/api/openapi.json", dom_id: "#ui", tryItOutEnabled: true });</script>
</body></html>`;

/** GET /api/openapi.json and the interactive page at /api/docs (Swagger UI, served locally). */
export function docsRoutes(): Router {
  const router = Router();
  const doc = openApiDocument();
  router.get("/openapi.json", (_req, res) => {
    res.json(doc);
  });
  router.get("/docs", (_req, res) => {
    res.type("html").send(page);
  });
  router.use("/docs/assets", express.static(swaggerDir, { index: false }));
  return router;
}
