import { createRequire } from "node:module";
import path from "node:path";
import express, { Router } from "express";
import { z } from "zod";
import { OPERATIONS, type OperationSpec, type ResponseSpec } from "./api-spec.js";

/** JSON Schema of a zod schema: what a client sends (input) or what the API answers (output). */
const jsonSchema = (schema: z.ZodType, io: "input" | "output") =>
  z.toJSONSchema(schema, { io, unrepresentable: "any" });

function parameters(op: OperationSpec) {
  const out: Record<string, unknown>[] = [];
  for (const where of ["path", "query", "header"] as const) {
    const schema = op.params?.[where];
    if (!schema) continue;
    const js = jsonSchema(schema, "input") as {
      properties?: Record<string, unknown>;
      required?: string[];
    };
    for (const [name, s] of Object.entries(js.properties ?? {})) {
      out.push({
        name,
        in: where,
        required: where === "path" || (js.required ?? []).includes(name),
        schema: s,
      });
    }
  }
  return out;
}

function response(r: ResponseSpec) {
  if (r.body) {
    return {
      description: r.description,
      content: { "application/json": { schema: jsonSchema(r.body, "output") } },
    };
  }
  if (r.contentType) {
    const schema = r.contentType === "text/event-stream" ? { type: "string" } : {};
    return { description: r.description, content: { [r.contentType]: { schema } } };
  }
  return { description: r.description };
}

function operation(op: OperationSpec) {
  return {
    summary: op.summary,
    ...(op.security === "admin" ? { security: [{ adminToken: [] }] } : {}),
    ...(op.security === "agent"
      ? { security: [{ nodeId: [], nodeTime: [], nodeSignature: [] }] }
      : {}),
    ...(op.params ? { parameters: parameters(op) } : {}),
    ...(op.body
      ? {
          requestBody: {
            required: true,
            content:
              op.body === "octet-stream"
                ? { "application/octet-stream": {} }
                : { "application/json": { schema: jsonSchema(op.body, "input") } },
          },
        }
      : {}),
    responses: Object.fromEntries(
      Object.entries(op.responses).map(([status, r]) => [status, response(r)]),
    ),
  };
}

/** The OpenAPI 3.1 description of the coordinator's API, generated from api-spec.ts. */
export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPERATIONS) (paths[op.path] ??= {})[op.method] = operation(op);
  return {
    openapi: "3.1.0",
    info: {
      title: "FedLedger coordinator API",
      version: "0.2.0",
      description:
        "Federated learning runs with coordinator-measured, on-chain contribution rewards. Mutating calls need `Authorization: Bearer <ADMIN_TOKEN>` except on the local development chain; node registration carries its own EIP-712 proof, and node agents sign every call.",
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
    paths,
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
