import { Router } from "express";
import { z } from "zod";
import type { RecoveryReport } from "../recorder/chain-recovery.js";

const RecoveryRequest = z
  .object({
    /** re-record: register every run again and re-record every round on the new deployment. */
    mode: z.literal("re-record"),
  })
  .strict();

/** Operator actions (admin token required off the local chain, like every mutating call). */
export function adminRoutes(deps: { recover: () => Promise<RecoveryReport> }): Router {
  const router = Router();
  router.post("/admin/chain-recovery", async (req, res) => {
    RecoveryRequest.parse(req.body);
    res.json(await deps.recover());
  });
  return router;
}

export { RecoveryRequest };
