// The API operations of "runs as code" (issue 19): export, saved presets, archiving; appended to
// the route table in api-spec.ts.
import { z } from "zod";
import {
  ExportQuery,
  RunExport,
  RunSummary,
  SavedPreset,
  SavedPresetId,
  SavePresetRequest,
} from "../domain/index.js";
import { ErrorBody } from "./api-schemas.js";
import type { OperationSpec, ResponseSpec } from "./operation-spec.js";

const error = (description: string): ResponseSpec => ({ description, body: ErrorBody });
const json = (description: string, body: z.ZodType): ResponseSpec => ({ description, body });
const E = {
  400: error("The request does not match the schema (the message names each field)"),
  401: error("Missing or wrong credentials (admin token, or the agent's request signature)"),
  404: error("No such resource"),
};

/** GET /api/runs?archived=…: archived runs are left out unless asked for. */
export const RunListQuery = z.object({
  archived: z.enum(["exclude", "include", "only"]).default("exclude"),
});

export function resultOperations(runPath: z.ZodObject): OperationSpec[] {
  return [
    {
      method: "get",
      path: "/api/runs/{id}/export",
      summary:
        "A run's results: per round accuracy, loss, timing and privacy; per contribution node, samples, losses, reward and tx hash; alerts raised about the run (raised, cleared, acknowledged times). JSON holds everything; CSV one table (table=rounds|contributions|alerts). Sent as an attachment.",
      params: { path: runPath, query: ExportQuery },
      responses: {
        200: {
          ...json("The export (application/json), or one table of it (text/csv)", RunExport),
          contentType: "text/csv",
        },
        400: E[400],
        404: E[404],
      },
    },
    ...(["archive", "unarchive"] as const).map((a): OperationSpec => ({
      method: "post",
      path: `/api/runs/{id}/${a}`,
      summary:
        a === "archive"
          ? "Archive a finished run: it leaves the run listings (GET /api/runs?archived=include shows it); its rounds and contributions stay in the store, and its records stay on chain for good"
          : "Bring an archived run back into the listings",
      security: "admin",
      params: { path: runPath },
      responses: {
        200: json("The run", RunSummary),
        400: E[400],
        401: E[401],
        404: E[404],
        409: error("The run has not finished (stop it first)"),
      },
    })),
    {
      method: "get",
      path: "/api/presets",
      summary:
        "Presets saved from the dashboard's form (the built-in ones are files, presets/*.yaml, listed in /api/catalogues)",
      responses: { 200: json("Saved presets, by name", z.array(SavedPreset)) },
    },
    {
      method: "post",
      path: "/api/presets",
      summary:
        "Save a run request as a named preset (validated like POST /api/runs); saving a name again replaces it",
      security: "admin",
      body: SavePresetRequest,
      responses: {
        201: json("Saved", SavedPreset),
        200: json("Replaced the preset of that name", SavedPreset),
        400: E[400],
        401: E[401],
      },
    },
    {
      method: "delete",
      path: "/api/presets/{id}",
      summary: "Delete a saved preset",
      security: "admin",
      params: { path: z.object({ id: SavedPresetId }) },
      responses: {
        204: { description: "Deleted" },
        400: E[400],
        401: E[401],
        404: E[404],
      },
    },
  ];
}
