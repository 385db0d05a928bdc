// The artifact store's and model registry's operations, for the route table (api-spec.ts).
import { z } from "zod";
import { VersionEvaluation } from "../artifacts/version-evaluation.js";
import { ArtifactRefView, ErrorBody, ModelVersionView } from "./api-schemas.js";
import type { OperationSpec, ResponseSpec } from "./operation-spec.js";

const error = (description: string): ResponseSpec => ({ description, body: ErrorBody });
const json = (description: string, body: z.ZodType): ResponseSpec => ({ description, body });
const E = {
  400: error("The request does not match the schema (the message names each field)"),
  404: error("No such resource"),
};

const hashPath = z.object({ hash: z.string().regex(/^0x[0-9a-f]{64}$/) });
const bytes = (description: string): ResponseSpec => ({
  description,
  contentType: "application/octet-stream",
});
const gone = error("Pruned by its run's retention policy (its metadata stays)");

export function artifactOperations(runPath: z.ZodObject): OperationSpec[] {
  return [...byHashOperations(), ...runModelOperations(runPath)];
}

/** Artifacts and models addressed by their hash. */
function byHashOperations(): OperationSpec[] {
  return [
    {
      method: "get",
      path: "/api/artifacts/{hash}",
      summary:
        "Any stored artifact by its keccak256 (the hash the chain records): model versions, updates, validation data, run specs; hash-checked, cacheable forever, byte ranges",
      params: { path: hashPath },
      responses: {
        200: bytes("The bytes (a spec document is JSON)"),
        206: bytes("A byte range"),
        304: { description: "Not modified (If-None-Match)" },
        400: E[400],
        404: E[404],
        410: gone,
        416: { description: "Range not satisfiable" },
      },
    },
    {
      method: "get",
      path: "/api/models/{hash}",
      summary:
        "A model version's raw weights: float32 little-endian, in the model's parameter order",
      params: { path: hashPath },
      responses: {
        200: bytes("Weights"),
        206: bytes("A byte range"),
        304: { description: "Not modified" },
        400: E[400],
        404: E[404],
        410: gone,
        416: { description: "Range not satisfiable" },
      },
    },
  ];
}

/** A run's versions and artifacts, and each version as a TF.js model. */
function runModelOperations(runPath: z.ZodObject): OperationSpec[] {
  const versionPath = runPath.extend({
    round: z.union([z.coerce.number().int().min(0), z.enum(["best", "last"])]),
  });
  return [
    {
      method: "get",
      path: "/api/runs/{id}/models",
      summary:
        "A run's model versions (round 0 is its start model): hash, test accuracy and loss, chain transaction, size, whether still stored, which is best",
      params: { path: runPath },
      responses: {
        200: json("Versions, oldest first", z.array(ModelVersionView)),
        400: E[400],
        404: E[404],
      },
    },
    {
      method: "get",
      path: "/api/runs/{id}/artifacts",
      summary:
        "Every artifact a run's rounds refer to (spec, validation, start models, versions, updates), stored or pruned",
      params: { path: runPath },
      responses: {
        200: json("Artifact references", z.array(ArtifactRefView)),
        400: E[400],
        404: E[404],
      },
    },
    {
      method: "get",
      path: "/api/runs/{id}/models/{round}/tfjs/model.json",
      summary:
        "A version as a TF.js LayersModel (tf.loadLayersModel): topology and weights manifest; round is a number, best or last",
      params: { path: versionPath },
      responses: {
        200: json("model.json", z.record(z.string(), z.unknown())),
        400: E[400],
        404: E[404],
        410: gone,
      },
    },
    {
      method: "get",
      path: "/api/runs/{id}/models/{round}/tfjs/weights.bin",
      summary: "The TF.js model's weights file (the version's stored bytes)",
      params: { path: versionPath },
      responses: {
        200: bytes("Weights"),
        206: bytes("A byte range"),
        304: { description: "Not modified" },
        400: E[400],
        404: E[404],
        410: gone,
        416: { description: "Range not satisfiable" },
      },
    },
    {
      method: "get",
      path: "/api/runs/{id}/models/{round}/evaluation",
      summary:
        "A version evaluated on the run's test split: loss, accuracy, per-class accuracy, confusion matrix (computed once, then cached)",
      params: { path: versionPath },
      responses: {
        200: json("Evaluation", VersionEvaluation.extend({ round: z.number().int() })),
        400: E[400],
        404: E[404],
        410: gone,
      },
    },
  ];
}
