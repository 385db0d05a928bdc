import { timingSafeEqual } from "node:crypto";
import type { RequestHandler } from "express";
import { HttpError } from "./http-errors.js";

const MUTATING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * Mutating calls need `Authorization: Bearer <ADMIN_TOKEN>`. Without a configured token they are
 * open, which the coordinator only allows on the local development chain (see main.ts).
 * `exempt` lists paths that carry their own proof (e.g. a wallet's EIP-712 signature).
 */
export function adminAuth(
  adminToken: string | undefined,
  exempt: (path: string) => boolean,
): RequestHandler {
  const expected = adminToken ? Buffer.from(adminToken) : undefined;
  return (req, _res, next) => {
    if (!expected || !MUTATING.has(req.method) || exempt(req.path)) return next();
    const header = req.header("authorization") ?? "";
    const match = /^Bearer (.+)$/.exec(header);
    const given = match?.[1] ? Buffer.from(match[1]) : undefined;
    if (!given || given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return next(
        new HttpError(
          401,
          "unauthorized",
          "This call needs the admin token: Authorization: Bearer <ADMIN_TOKEN>",
        ),
      );
    }
    next();
  };
}
