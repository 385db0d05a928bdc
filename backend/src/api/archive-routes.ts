import { Router } from "express";
import { isFinished, RunId } from "../domain/index.js";
import type { RunManager } from "../runs/run-manager.js";
import { runArchiveRepo } from "../store/repos/run-archive-repo.js";
import { runsRepo } from "../store/repos/runs-repo.js";
import type { SqlDatabase } from "../store/sql-database.js";
import { HttpError } from "./http-errors.js";

/**
 * POST /api/runs/:id/archive and /unarchive (admin): an archived run leaves the run listings and
 * nothing else changes; its rounds and contributions stay in the store and on chain. Mounted
 * before runRoutes, whose /runs/:id/:action would take these paths.
 */
export function archiveRoutes(deps: { db: SqlDatabase; runs: RunManager }): Router {
  const router = Router();
  for (const action of ["archive", "unarchive"] as const) {
    router.post(`/runs/:id/${action}`, async (req, res) => {
      const id = RunId.parse(req.params.id);
      const run = await runsRepo.get(deps.db, id);
      if (!run) throw new HttpError(404, "run_not_found", `No run ${id}`);
      if (action === "archive") {
        if (!isFinished(run.status))
          throw new HttpError(
            409,
            "run_not_finished",
            `Run ${id} is ${run.status}; stop it first.`,
          );
        await runArchiveRepo.archive(deps.db, id);
      } else await runArchiveRepo.unarchive(deps.db, id);
      res.json(await deps.runs.summary(run));
    });
  }
  return router;
}
