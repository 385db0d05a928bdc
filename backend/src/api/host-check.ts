import type { RequestHandler } from "express";
import { HttpError } from "./http-errors.js";

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

function hostname(hostHeader: string): string {
  // "[::1]:8000" -> "[::1]", "localhost:8000" -> "localhost"
  if (hostHeader.startsWith("[")) return hostHeader.slice(0, hostHeader.indexOf("]") + 1);
  return hostHeader.split(":")[0] ?? "";
}

/**
 * Without an admin token the API is open, which is safe only for callers on this machine. A web
 * page elsewhere can still reach a loopback coordinator through the user's browser: by DNS
 * rebinding (a hostile name that resolves to 127.0.0.1, sent as the Host header) or by a
 * cross-site request (its Origin). So with no token, only loopback Host names are answered and a
 * browser's Origin must be a loopback page (the dashboard), or absent (curl, the agents).
 */
export function loopbackOnly(): RequestHandler {
  return (req, _res, next) => {
    const host = hostname(req.header("host") ?? "");
    if (!LOOPBACK_HOSTS.has(host)) {
      return next(
        new HttpError(
          403,
          "host_not_allowed",
          `This coordinator has no ADMIN_TOKEN, so it answers only requests to a loopback host (127.0.0.1, localhost, [::1]), not "${host}".`,
        ),
      );
    }
    const origin = req.header("origin");
    if (origin !== undefined && origin !== "null") {
      let originHost = "";
      try {
        originHost = new URL(origin).hostname;
      } catch {
        /* a malformed origin is refused below */
      }
      if (!LOOPBACK_HOSTS.has(originHost) && !LOOPBACK_HOSTS.has(`[${originHost}]`)) {
        return next(
          new HttpError(
            403,
            "origin_not_allowed",
            `This coordinator has no ADMIN_TOKEN, so it answers pages served from loopback only, not ${origin}.`,
          ),
        );
      }
    } else if (origin === "null") {
      return next(new HttpError(403, "origin_not_allowed", "Opaque (null) origins are refused."));
    }
    next();
  };
}
