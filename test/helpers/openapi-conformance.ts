// Checks the coordinator's real responses against its OpenAPI document: every JSON body must match
// the schema documented for its route and status, and every status must be documented. Installed
// in every test coordinator (coordinator-stack.ts, coordinator-api.test.ts), so the whole backend
// suite exercises it; a JSON response that violates the document is turned into a 500, which fails
// whichever test made the request.
import { Ajv2020 } from "ajv/dist/2020.js";
import type { RequestHandler, Response } from "express";
import { openApiDocument } from "../../backend/src/api/openapi.js";

interface Operation {
  responses: Record<string, { content?: Record<string, { schema?: object }> }>;
}

const doc = openApiDocument() as { paths: Record<string, Record<string, Operation>> };
const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });

const routes = Object.entries(doc.paths).map(([template, ops]) => ({
  template,
  pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, "[^/]+")}$`),
  ops,
}));

/** Every (method path status) a test coordinator answered, and every violation it produced. */
export const conformance = {
  seen: new Set<string>(),
  violations: [] as string[],
};

function operationFor(method: string, path: string): { key: string; op: Operation } | undefined {
  // Prefer a literal path (/api/runs/{id}/stop) over a template that also matches.
  const matches = routes.filter((r) => r.pattern.test(path));
  matches.sort((a, b) => a.template.split("{").length - b.template.split("{").length);
  for (const r of matches) {
    const op = r.ops[method.toLowerCase()];
    if (op) return { key: `${method.toUpperCase()} ${r.template}`, op };
  }
  return undefined;
}

const validators = new Map<object, ReturnType<typeof ajv.compile>>();
function validatorFor(schema: object) {
  let v = validators.get(schema);
  if (!v) {
    v = ajv.compile(schema);
    validators.set(schema, v);
  }
  return v;
}

function check(method: string, path: string, status: number, body?: unknown): string | undefined {
  const found = operationFor(method, path);
  if (!found) return undefined; // not a documented route (docs page, 404 for unknown paths)
  conformance.seen.add(`${found.key} ${status}`);
  const documented = found.op.responses[String(status)];
  if (!documented) return `${found.key}: status ${status} is not documented`;
  if (body === undefined) return undefined;
  const schema = documented.content?.["application/json"]?.schema;
  if (!schema) return `${found.key} ${status}: a JSON body where none is documented`;
  const validate = validatorFor(schema);
  if (validate(JSON.parse(JSON.stringify(body)))) return undefined;
  return `${found.key} ${status}: ${ajv.errorsText(validate.errors)}`;
}

/** Express middleware for the /api router. */
export const openApiConformance: RequestHandler = (req, res, next) => {
  const path = `/api${req.path}`;
  const json = res.json.bind(res) as Response["json"];
  let checked = false;
  res.json = (body: unknown) => {
    checked = true;
    const violation = check(req.method, path, res.statusCode, body);
    if (violation) {
      conformance.violations.push(violation);
      console.error(`[openapi] ${violation}`);
      res.status(500);
      return json({ error: { code: "response_violates_openapi", message: violation } });
    }
    return json(body);
  };
  res.on("finish", () => {
    if (checked) return;
    const violation = check(req.method, path, res.statusCode);
    if (violation) {
      conformance.violations.push(violation);
      console.error(`[openapi] ${violation}`);
    }
  });
  next();
};
