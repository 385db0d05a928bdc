import express, { type RequestHandler, type Router } from "express";
import { adminAuth } from "./admin-auth.js";
import { loopbackOnly } from "./host-check.js";
import { methodAndType } from "./method-and-type.js";
import { errorHandler, notFound } from "./http-errors.js";

/** JSON bodies: 1 MB, and 64 MB for a SecAgg message (a masked input is the whole model). */
const SMALL_BODY = "1mb";
const LARGE_BODY = "64mb";
const LARGE_JSON_PATH = /^\/agent\/tasks\/[^/]+\/secagg\//;

/** A request whose JSON body was parsed, with the bytes it was parsed from. */
export interface RequestWithRawBody extends express.Request {
  rawBody?: Buffer;
}

export interface AppOptions {
  adminToken: string | undefined;
  /** Routers mounted under /api, in order. */
  routers: Router[];
  /** Mutating paths (under /api) that carry their own proof instead of the admin token. */
  tokenExempt?: (path: string) => boolean;
  /** Run first on every /api request (the tests check responses against the OpenAPI document). */
  middleware?: RequestHandler[];
  /** GET /metrics: Prometheus text format (outside /api, where scrapers look for it). */
  metrics?: () => Promise<{ contentType: string; body: string }>;
}

/** The coordinator's Express app: JSON in and out, admin token on mutating calls, JSON errors. */
export function createApp(opts: AppOptions): express.Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("json replacer", (_key: string, value: unknown) =>
    typeof value === "bigint" ? value.toString() : value,
  );
  const api = express.Router();
  for (const m of opts.middleware ?? []) api.use(m);
  if (!opts.adminToken) api.use(loopbackOnly());
  // The token before any body is read: a stranger's 64 MB gets a 401, not our parser's time.
  api.use(adminAuth(opts.adminToken, opts.tokenExempt ?? (() => false)));
  api.use(methodAndType);
  // Keep the exact JSON bytes: node agents sign them (see agent-auth.ts). Bodies are small (1 MB)
  // except a SecAgg masked input, which carries the whole masked model.
  const keepRaw = (req: express.Request, _res: unknown, buf: Buffer) => {
    (req as RequestWithRawBody).rawBody = buf;
  };
  // strict: false lets `null` or `3` through to the route's schema, which says what it expected.
  const small = express.json({ limit: SMALL_BODY, verify: keepRaw, strict: false });
  const large = express.json({ limit: LARGE_BODY, verify: keepRaw, strict: false });
  api.use((req, res, next) => (LARGE_JSON_PATH.test(req.path) ? large : small)(req, res, next));
  for (const r of opts.routers) api.use(r);
  api.use(notFound);
  app.use("/api", api);
  const metrics = opts.metrics;
  if (metrics) {
    // Read-only like the API's GETs; loopback-only too when there is no admin token.
    const guard: RequestHandler = opts.adminToken ? (_req, _res, next) => next() : loopbackOnly();
    app.get("/metrics", guard, (_req, res, next) => {
      metrics().then(({ contentType, body }) => res.type(contentType).send(body), next);
    });
  }
  app.use(notFound);
  app.use(errorHandler);
  return app;
}
