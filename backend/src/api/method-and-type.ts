// HTTP-level answers the route table implies: a known path called with the wrong method is a 405
// that lists the methods it has (Allow), and a body sent as anything but the content type its
// route reads is a 415 that names the type to send.
import type { RequestHandler } from "express";
import { OPERATIONS } from "./api-spec.js";
import { HttpError } from "./http-errors.js";

interface PathMethods {
  pattern: RegExp;
  template: string;
  methods: Map<string, "json" | "octet-stream" | "none">;
}

function table(): PathMethods[] {
  const byPath = new Map<string, PathMethods>();
  for (const op of OPERATIONS) {
    // Paths under /api are matched without the prefix (the router is mounted at /api).
    const rel = op.path.replace(/^\/api/, "");
    let entry = byPath.get(rel);
    if (!entry) {
      entry = {
        template: op.path,
        pattern: new RegExp(`^${rel.replace(/\{[^}]+\}/g, "[^/]+")}/?$`),
        methods: new Map(),
      };
      byPath.set(rel, entry);
    }
    entry.methods.set(
      op.method.toUpperCase(),
      op.body === "octet-stream" ? "octet-stream" : op.body ? "json" : "none",
    );
  }
  // Literal paths (/runs/{id}/stop) before the templates they also match.
  return [...byPath.values()].sort(
    (a, b) => a.template.split("{").length - b.template.split("{").length,
  );
}

const PATHS = table();

function hasBody(req: Parameters<RequestHandler>[0]): boolean {
  const length = req.header("content-length");
  return (length !== undefined && length !== "0") || req.header("transfer-encoding") !== undefined;
}

/** 405 for a documented path with another method, 415 for a body of the wrong content type. */
export const methodAndType: RequestHandler = (req, res, next) => {
  const entry = PATHS.find((p) => p.pattern.test(req.path));
  if (!entry) return next();
  const method = req.method === "HEAD" ? "GET" : req.method;
  const kind = entry.methods.get(method);
  if (!kind) {
    const allow = [...entry.methods.keys()].join(", ");
    res.setHeader("Allow", allow);
    return next(
      new HttpError(
        405,
        "method_not_allowed",
        `${req.method} is not allowed on ${entry.template}; use ${allow}`,
      ),
    );
  }
  if (kind !== "none" && hasBody(req)) {
    const want = kind === "json" ? "application/json" : "application/octet-stream";
    const type = (req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
    if (type !== want) {
      return next(
        new HttpError(
          415,
          "unsupported_media_type",
          `${entry.template} reads ${want}; the request's content type is ${type ? `"${type}"` : "missing"}`,
        ),
      );
    }
  }
  next();
};
