import { Router } from "express";
import { buildRunExport, exportCsv, ExportQuery, RunId } from "../domain/index.js";
import type { RunManager } from "../runs/run-manager.js";
import { contributionsRepo } from "../store/repos/contributions-repo.js";
import { roundsRepo } from "../store/repos/rounds-repo.js";
import { alertsRepo } from "../store/repos/alerts-repo.js";
import { runsRepo } from "../store/repos/runs-repo.js";
import type { SqlDatabase } from "../store/sql-database.js";
import { HttpError } from "./http-errors.js";

/** Every contribution of a run (the store's query is paged; an export wants them all). */
const ALL = Number.MAX_SAFE_INTEGER;

/** GET /api/runs/:id/export?format=json|csv&table=…: a run's results as a download. */
export function exportRoutes(deps: { db: SqlDatabase; runs: RunManager }): Router {
  const router = Router();
  router.get("/runs/:id/export", async (req, res) => {
    const id = RunId.parse(req.params.id);
    const query = ExportQuery.parse(req.query);
    const stored = await runsRepo.get(deps.db, id);
    if (!stored) throw new HttpError(404, "run_not_found", `No run ${id}`);
    const [run, rounds, contributions, alerts] = await Promise.all([
      deps.runs.summary(stored),
      roundsRepo.list(deps.db, id),
      contributionsRepo.find(deps.db, { run: id, limit: ALL }),
      alertsRepo.forRun(deps.db, id),
    ]);
    const doc = buildRunExport(
      run,
      rounds,
      contributions,
      alerts.map(({ key: _key, ...a }) => a),
    );
    if (query.format === "json") {
      res.setHeader("content-disposition", `attachment; filename="${id}.json"`);
      res.json(doc);
      return;
    }
    res.setHeader("content-disposition", `attachment; filename="${id}-${query.table}.csv"`);
    res.type("text/csv; charset=utf-8").send(exportCsv(doc, query.table));
  });
  return router;
}
