/**
 * What went wrong, in domain terms. The HTTP layer maps `kind` to a status code (api/http-errors.ts);
 * the CLI and tests read `code` and `message`. Nothing here knows about HTTP.
 */
export type DomainErrorKind =
  | "invalid" // the request contradicts the rules (400)
  | "forbidden" // the caller may not do this (403)
  | "not_found" // no such run, node, ... (404)
  | "conflict" // not in this state (409)
  | "too_large" // more than the coordinator takes (422)
  | "busy" // not now: try again later (429)
  | "unavailable"; // a dependency (the chain, the contracts) is not ready (503)

export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    /** Machine-readable, stable: e.g. "run_not_found". */
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = "DomainError";
  }
}

export const notFound = (code: string, message: string) =>
  new DomainError("not_found", code, message);
export const conflict = (code: string, message: string) =>
  new DomainError("conflict", code, message);
export const invalid = (code: string, message: string, details?: unknown) =>
  new DomainError("invalid", code, message, details);
export const tooLarge = (code: string, message: string, details?: unknown) =>
  new DomainError("too_large", code, message, details);
export const busy = (code: string, message: string, details?: unknown) =>
  new DomainError("busy", code, message, details);
export const unavailable = (code: string, message: string) =>
  new DomainError("unavailable", code, message);

/** The contracts are not deployed where the coordinator looks. */
export const chainNotReady = () =>
  unavailable(
    "chain_not_ready",
    "The contracts are not deployed on the chain yet; start the stack with `npm start`.",
  );
