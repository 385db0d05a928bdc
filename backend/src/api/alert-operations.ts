// The API operations of alerts (issue 18), appended to the route table in api-spec.ts.
import { z } from "zod";
import { Alert, AlertsQuery } from "../domain/index.js";
import { ErrorBody } from "./api-schemas.js";
import { AlertIdParam } from "./alert-routes.js";
import type { OperationSpec, ResponseSpec } from "./operation-spec.js";

const error = (description: string): ResponseSpec => ({ description, body: ErrorBody });

export const AlertList = z.object({
  /** Newest first. */
  alerts: z.array(Alert),
  /** Over every alert, whatever the filter: not cleared, and of those not acknowledged. */
  counts: z.object({ active: z.number().int(), unacknowledged: z.number().int() }),
});

export function alertOperations(): OperationSpec[] {
  return [
    {
      method: "get",
      path: "/api/alerts",
      summary:
        "Alerts, newest first: each with its severity, the run and node it concerns, what is wrong and what to do, when it was raised, cleared (its condition ended) and acknowledged",
      params: { query: AlertsQuery },
      responses: {
        200: { description: "The alerts and how many are active", body: AlertList },
        400: error("The query does not match the schema"),
      },
    },
    {
      method: "get",
      path: "/api/alerts/events",
      summary:
        "Server-Sent Events: `alert` with {change: raised|cleared|acknowledged, alert} as it happens (no replay: read GET /api/alerts first)",
      responses: {
        200: { description: "An event stream", contentType: "text/event-stream" },
        429: error("Too many alert streams are open"),
      },
    },
    {
      method: "post",
      path: "/api/alerts/{id}/acknowledge",
      summary:
        "Acknowledge an alert (an operator has seen it): it leaves the unacknowledged count; it stays active until its condition ends",
      security: "admin",
      params: { path: AlertIdParam },
      responses: {
        200: { description: "The alert", body: Alert },
        400: error("The id is not a positive integer"),
        401: error("Missing or wrong admin token"),
        404: error("No such alert"),
      },
    },
  ];
}
