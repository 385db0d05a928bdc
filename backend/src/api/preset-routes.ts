import { randomBytes } from "node:crypto";
import { Router } from "express";
import { SavedPresetId, SavePresetRequest } from "../domain/index.js";
import { savedPresetsRepo } from "../store/repos/saved-presets-repo.js";
import type { SqlDatabase } from "../store/sql-database.js";
import { HttpError } from "./http-errors.js";

/** Presets saved from the dashboard's form: list, save (by name), delete. */
export function presetRoutes(deps: { db: SqlDatabase }): Router {
  const router = Router();
  router.get("/presets", async (_req, res) => {
    res.json(await savedPresetsRepo.list(deps.db));
  });
  router.post("/presets", async (req, res) => {
    const body = SavePresetRequest.parse(req.body);
    const { preset, created } = await savedPresetsRepo.save(deps.db, {
      id: `sp-${randomBytes(5).toString("hex")}`,
      name: body.name,
      request: body.request,
    });
    res.status(created ? 201 : 200).json(preset);
  });
  router.delete("/presets/:id", async (req, res) => {
    const id = SavedPresetId.parse(req.params.id);
    if (!(await savedPresetsRepo.delete(deps.db, id)))
      throw new HttpError(404, "preset_not_found", `No saved preset ${id}`);
    res.status(204).end();
  });
  return router;
}
