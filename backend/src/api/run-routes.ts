import { Router, type Request } from "express";
import { CreateRunRequest, RunAction, RunId } from "../domain/index.js";
import { HttpError } from "./http-errors.js";
import type { RunManager } from "../runs/run-manager.js";
import type { SseStreams } from "./sse-streams.js";
import { roundsRepo } from "../store/repos/rounds-repo.js";
import { runsRepo } from "../store/repos/runs-repo.js";
import type { SqlDatabase } from "../store/sql-database.js";

function runIdOf(req: Request): string {
  return RunId.parse(req.params.id);
}

export function runRoutes(deps: {
  db: SqlDatabase;
  runs: RunManager;
  streams: SseStreams;
  onChange: () => void;
}): Router {
  const router = Router();
  const { db, runs } = deps;
  const streams = deps.streams;

  const load = async (id: string) => {
    const run = await runsRepo.get(db, id);
    if (!run) throw new HttpError(404, "run_not_found", `No run ${id}`);
    return run;
  };

  router.post("/runs", async (req, res) => {
    const config = CreateRunRequest.parse(req.body);
    const run = await runs.create(config);
    deps.onChange();
    res.status(201).json(await runs.summary(run));
  });

  router.get("/runs", async (_req, res) => {
    const all = await runsRepo.list(db);
    res.json(await Promise.all(all.map((r) => runs.summary(r))));
  });

  router.get("/runs/:id", async (req, res) => {
    res.json(await runs.summary(await load(runIdOf(req))));
  });

  router.post("/runs/:id/:action", async (req, res) => {
    const id = runIdOf(req);
    const action = RunAction.safeParse(req.params.action);
    if (!action.success)
      throw new HttpError(
        404,
        "not_found",
        `Unknown run action '${req.params.action}': use pause, resume or stop`,
      );
    const run = await runs.control(id, action.data);
    res.json(await runs.summary(run));
  });

  router.get("/runs/:id/rounds", async (req, res) => {
    const id = runIdOf(req);
    await load(id);
    res.json(await roundsRepo.list(db, id));
  });

  router.get("/runs/:id/nodes", async (req, res) => {
    res.json(await runs.nodeInfo(runIdOf(req)));
  });

  router.get("/runs/:id/events", async (req, res) => {
    const id = runIdOf(req);
    await load(id);
    await streams.stream(id, req, res);
  });

  return router;
}
