import express, { type RequestHandler, type Router } from "express";
import { adminAuth } from "./admin-auth.js";
import { errorHandler, notFound } from "./http-errors.js";

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
  // Keep the exact JSON bytes: node agents sign them (see agent-routes.ts).
  api.use(
    express.json({
      limit: "64mb",
      verify: (req, _res, buf) => {
        (req as RequestWithRawBody).rawBody = buf;
      },
    }),
  );
  api.use(adminAuth(opts.adminToken, opts.tokenExempt ?? (() => false)));
  for (const r of opts.routers) api.use(r);
  api.use(notFound);
  app.use("/api", api);
  app.use(notFound);
  app.use(errorHandler);
  return app;
}
