import { Router } from "express";
import { CATALOGUES } from "./api-spec.js";

/** GET /api/catalogues: what a run can choose, with labels, help and parameters (for UIs and CLIs). */
export function catalogueRoutes(): Router {
  const router = Router();
  router.get("/catalogues", (_req, res) => {
    res.json(CATALOGUES);
  });
  return router;
}
