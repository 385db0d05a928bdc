import { Router, type Request, type Response } from "express";
import { z } from "zod";
import { AlertsQuery, type Alert, type AlertChange } from "../domain/index.js";
import type { AlertCenter } from "../alerts/alert-center.js";
import { alertsRepo } from "../store/repos/alerts-repo.js";
import type { SqlDatabase } from "../store/sql-database.js";
import { HttpError } from "./http-errors.js";

export const AlertIdParam = z.object({
  id: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
});

/** Open alert streams in all, and per client address (each holds a socket; a tab needs one). */
const MAX_ALERT_STREAMS = 64;
const MAX_ALERT_STREAMS_PER_CLIENT = 8;

/** GET /api/alerts, POST /api/alerts/:id/acknowledge (admin), GET /api/alerts/events (SSE). */
export function alertRoutes(deps: { db: SqlDatabase; alerts: AlertCenter }): Router {
  const router = Router();
  let streams = 0;
  const byClient = new Map<string, number>();
  router.get("/alerts", async (req, res) => {
    const q = AlertsQuery.parse(req.query);
    const [rows, counts] = await Promise.all([
      alertsRepo.list(deps.db, q),
      alertsRepo.counts(deps.db),
    ]);
    res.json({ alerts: rows.map(({ key: _k, ...a }) => a), counts });
  });
  router.get("/alerts/events", (req, res) => {
    const client = req.socket.remoteAddress ?? "unknown";
    const mine = byClient.get(client) ?? 0;
    if (streams >= MAX_ALERT_STREAMS || mine >= MAX_ALERT_STREAMS_PER_CLIENT) {
      throw new HttpError(
        429,
        "too_many_streams",
        `at most ${MAX_ALERT_STREAMS_PER_CLIENT} alert streams per client and ${MAX_ALERT_STREAMS} in all are open at once; close some first`,
      );
    }
    streams++;
    byClient.set(client, mine + 1);
    stream(req, res, deps.alerts, () => {
      streams--;
      const left = (byClient.get(client) ?? 1) - 1;
      if (left > 0) byClient.set(client, left);
      else byClient.delete(client);
    });
  });
  router.post("/alerts/:id/acknowledge", async (req, res) => {
    const { id } = AlertIdParam.parse(req.params);
    const alert = await deps.alerts.acknowledge(id);
    if (!alert) throw new HttpError(404, "alert_not_found", `No alert ${id}`);
    res.json(alert);
  });
  return router;
}

/** Live alert changes as Server-Sent Events (event `alert`, data {change, alert}); no replay. */
function stream(req: Request, res: Response, alerts: AlertCenter, release: () => void): void {
  res.writeHead(200, {
    "content-type": "text/event-stream",
    "cache-control": "no-cache, no-transform",
    connection: "keep-alive",
    "x-accel-buffering": "no",
  });
  res.write(": alerts\n\n");
  const unsubscribe = alerts.subscribe((change: AlertChange, alert: Alert) => {
    // A reader this far behind is dropped (it reconnects and reads GET /api/alerts).
    if (res.writableLength > 1 << 20) res.end();
    else res.write(`event: alert\ndata: ${JSON.stringify({ change, alert })}\n\n`);
  });
  const keepAlive = setInterval(() => res.write(": keep-alive\n\n"), 15_000);
  let done = false;
  req.on("close", () => {
    if (done) return;
    done = true;
    clearInterval(keepAlive);
    unsubscribe();
    release();
  });
}
