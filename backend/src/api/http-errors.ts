import type { ErrorRequestHandler, RequestHandler } from "express";
import { ZodError } from "zod";
import { DomainError, type DomainErrorKind } from "../domain/errors.js";
import { componentLogger } from "../logging/logger.js";

const log = componentLogger("api");

/** The status code of each kind of domain error. */
const STATUS: Record<DomainErrorKind, number> = {
  invalid: 400,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 422,
  busy: 429,
  unavailable: 503,
};

/** An error with an HTTP status and a machine-readable code, rendered as JSON. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export const notFound: RequestHandler = (req, _res, next) => {
  next(new HttpError(404, "not_found", `No route for ${req.method} ${req.path}`));
};

interface BodyParserError extends Error {
  type?: string;
  status?: number;
}

export const errorHandler: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
  if (err instanceof DomainError) {
    res
      .status(STATUS[err.kind])
      .json({ error: { code: err.code, message: err.message, details: err.details } });
    return;
  }
  if (err instanceof HttpError) {
    res
      .status(err.status)
      .json({ error: { code: err.code, message: err.message, details: err.details } });
    return;
  }
  if (err instanceof ZodError) {
    res.status(400).json({
      error: {
        code: "invalid_request",
        message: err.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; "),
        details: err.issues,
      },
    });
    return;
  }
  const bodyErr = err as BodyParserError & { code?: string };
  if (bodyErr?.type === "encoding.unsupported") {
    res.status(415).json({
      error: {
        code: "unsupported_encoding",
        message: `${bodyErr.message}: send the body uncompressed, or as gzip, deflate or br`,
      },
    });
    return;
  }
  if (bodyErr?.code === "Z_DATA_ERROR" || bodyErr?.code === "Z_BUF_ERROR") {
    res.status(400).json({
      error: {
        code: "invalid_encoding",
        message: "The body is not valid data for its content-encoding (corrupt gzip/deflate/br)",
      },
    });
    return;
  }
  if (bodyErr?.type === "entity.parse.failed") {
    res
      .status(400)
      .json({ error: { code: "invalid_json", message: "Request body is not valid JSON" } });
    return;
  }
  if (bodyErr?.type === "entity.too.large") {
    res.status(413).json({ error: { code: "too_large", message: "Request body is too large" } });
    return;
  }
  if (typeof bodyErr?.status === "number" && bodyErr.status >= 400 && bodyErr.status < 500) {
    res.status(bodyErr.status).json({ error: { code: "bad_request", message: bodyErr.message } });
    return;
  }
  if (res.headersSent || res.req.socket.destroyed) {
    // Nobody to answer (the client went away, or the server is closing its connections).
    res.destroy();
    log.warn(
      `a request failed after its client went away: ${(err as Error)?.message ?? String(err)}`,
    );
    return;
  }
  log.error({ err }, "unhandled error");
  res
    .status(500)
    .json({ error: { code: "internal", message: "Internal error; see coordinator logs" } });
};
