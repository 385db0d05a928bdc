// Read-only, hash-checked access to the artifact store, for anyone: auditors re-executing scores,
// users downloading models. Artifacts never change under their hash, so they are cacheable forever
// (ETag is the hash) and served with byte ranges.
import { Router, type Request, type Response } from "express";
import { z } from "zod";
import {
  ArtifactCorrupt,
  ArtifactMissing,
  isArtifactHash,
  type ArtifactStore,
} from "../artifacts/artifact-store.js";
import {
  bestOf,
  listVersions,
  resolveVersion,
  type ModelVersion,
} from "../artifacts/model-versions.js";
import { tfjsModelJson, WEIGHTS_FILE } from "../artifacts/tfjs-export.js";
import { evaluateVersion } from "../artifacts/version-evaluation.js";
import { notFound, RunId, runModelRef } from "../domain/index.js";
import { runsRepo } from "../store/repos/runs-repo.js";
import type { SqlDatabase } from "../store/sql-database.js";
import { HttpError } from "./http-errors.js";

export const VersionParam = z.union([
  z.coerce.number().int().min(0),
  z.literal("best"),
  z.literal("last"),
]);

const HashParam = z
  .string()
  .refine(isArtifactHash, "expected a 0x-prefixed 32-byte lower-case hex hash");

/** Sends verified bytes with immutable caching and byte ranges (206, 416). */
function sendImmutable(req: Request, res: Response, hash: string, bytes: Uint8Array, type: string) {
  const etag = `"${hash}"`;
  res.setHeader("ETag", etag);
  res.setHeader("Cache-Control", "public, max-age=31536000, immutable");
  res.setHeader("Accept-Ranges", "bytes");
  res.type(type);
  if (req.header("if-none-match") === etag) {
    res.status(304).end();
    return;
  }
  const range = /^bytes=(\d*)-(\d*)$/.exec(req.header("range") ?? "");
  if (range && (range[1] || range[2])) {
    const size = bytes.byteLength;
    const start = range[1] ? Number(range[1]) : Math.max(0, size - Number(range[2]));
    const end = range[1] && range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
    if (start >= size || start > end) {
      res.setHeader("Content-Range", `bytes */${size}`);
      res.status(416).end();
      return;
    }
    res.setHeader("Content-Range", `bytes ${start}-${end}/${size}`);
    res.status(206).send(Buffer.from(bytes.subarray(start, end + 1)));
    return;
  }
  res.send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}

/** Reads an artifact; 410 when its run's retention pruned it, 404 when it was never stored. */
async function readOrExplain(db: SqlDatabase, store: ArtifactStore, hash: `0x${string}`) {
  try {
    return await store.read(hash);
  } catch (err) {
    if (err instanceof ArtifactMissing) {
      const info = await store.info(db, hash);
      if (info?.prunedAt) {
        throw new HttpError(
          410,
          "artifact_pruned",
          `artifact ${hash} was pruned by its run's retention policy`,
        );
      }
      throw new HttpError(404, "artifact_not_found", `no artifact ${hash} in this store`);
    }
    if (err instanceof ArtifactCorrupt) {
      throw new HttpError(500, "artifact_corrupt", err.message);
    }
    throw err;
  }
}

type Deps = { db: SqlDatabase; artifacts: ArtifactStore; dataRoot?: string };

export function artifactRoutes(deps: Deps): Router {
  const router = Router();
  rawArtifactRoutes(router, deps);
  runModelRoutes(router, deps);
  return router;
}

/** Artifacts and models by hash. */
function rawArtifactRoutes(router: Router, { db, artifacts }: Deps): void {
  router.get("/artifacts/:hash", async (req, res) => {
    const hash = HashParam.parse(req.params.hash);
    const info = await artifacts.info(db, hash);
    const bytes = await readOrExplain(db, artifacts, hash);
    const type = info?.kind === "spec" ? "application/json" : "application/octet-stream";
    sendImmutable(req, res, hash, bytes, type);
  });

  router.get("/models/:hash", async (req, res) => {
    const hash = HashParam.parse(req.params.hash);
    const info = await artifacts.info(db, hash);
    if (info && info.kind !== "model") throw notFound("model_not_found", `${hash} is not a model`);
    sendImmutable(
      req,
      res,
      hash,
      await readOrExplain(db, artifacts, hash),
      "application/octet-stream",
    );
  });
}

/** A run's model versions, its artifact list, and each version as a TF.js LayersModel. */
function runModelRoutes(router: Router, { db, artifacts, dataRoot }: Deps): void {
  const runOf = async (req: Request) => {
    const id = RunId.parse(req.params.id);
    const run = await runsRepo.get(db, id);
    if (!run) throw notFound("run_not_found", `No run ${id}`);
    return run;
  };
  const versionOf = async (req: Request, id: string): Promise<ModelVersion> => {
    const which = VersionParam.parse(req.params.round);
    const v = await resolveVersion(db, id, which);
    if (!v) throw notFound("version_not_found", `run ${id} has no model version ${which}`);
    return v;
  };

  router.get("/runs/:id/models", async (req, res) => {
    const run = await runOf(req);
    const versions = await listVersions(db, run.id);
    const best = bestOf(versions);
    res.json(
      versions.map((v) => ({ ...v, best: v.hash === best?.hash && v.round === best.round })),
    );
  });

  router.get("/runs/:id/artifacts", async (req, res) => {
    const run = await runOf(req);
    const rows = await db.query<{
      round: number;
      kind: string;
      node_id: string;
      hash: string;
      bytes: number | null;
      pruned_at: number | null;
    }>(
      `SELECT r.round, r.kind, r.node_id, r.hash, a.bytes, a.pruned_at FROM artifact_refs r
       LEFT JOIN artifacts a ON a.hash = r.hash WHERE r.run_id = $1 ORDER BY r.round, r.kind, r.node_id`,
      [run.id],
    );
    res.json(
      rows.map((r) => ({
        round: Number(r.round),
        kind: r.kind,
        nodeId: r.node_id || null,
        hash: r.hash,
        bytes: r.bytes === null ? null : Number(r.bytes),
        stored: r.bytes !== null && r.pruned_at === null,
      })),
    );
  });

  router.get("/runs/:id/models/:round/tfjs/model.json", async (req, res) => {
    const run = await runOf(req);
    const v = await versionOf(req, run.id);
    if (!v.stored) throw new HttpError(410, "artifact_pruned", `version ${v.round} was pruned`);
    res.setHeader("Cache-Control", "public, max-age=31536000, immutable");
    res.json(tfjsModelJson(runModelRef(run.config), WEIGHTS_FILE));
  });

  router.get(`/runs/:id/models/:round/tfjs/${WEIGHTS_FILE}`, async (req, res) => {
    const run = await runOf(req);
    const v = await versionOf(req, run.id);
    sendImmutable(
      req,
      res,
      v.hash,
      await readOrExplain(db, artifacts, v.hash),
      "application/octet-stream",
    );
  });

  router.get("/runs/:id/models/:round/evaluation", async (req, res) => {
    const run = await runOf(req);
    const v = await versionOf(req, run.id);
    await readOrExplain(db, artifacts, v.hash);
    res.json({
      round: v.round,
      ...(await evaluateVersion(db, artifacts, run.id, run.config, v.hash, dataRoot)),
    });
  });
}
