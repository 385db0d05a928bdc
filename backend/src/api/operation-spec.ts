import type { z } from "zod";

export type Security = "admin" | "agent";

/** One response: a JSON body schema, another content type, or no body. */
export interface ResponseSpec {
  description: string;
  body?: z.ZodType;
  contentType?: "text/event-stream" | "application/octet-stream";
}

export interface OperationSpec {
  method: "get" | "post";
  /** OpenAPI path, e.g. /api/runs/{id}. */
  path: string;
  summary: string;
  security?: Security;
  params?: { path?: z.ZodObject; query?: z.ZodObject; header?: z.ZodObject };
  body?: z.ZodType | "octet-stream";
  responses: Record<number, ResponseSpec>;
}
