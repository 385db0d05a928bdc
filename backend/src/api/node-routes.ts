import { Router } from "express";
import type { PublicClient } from "viem";
import { z } from "zod";
import type { Deployment } from "../chain/deployment.js";
import { readRewards } from "../chain/reward-reader.js";
import { AGENT_ONLINE_MS } from "../nodes/agent-protocol.js";
import type { NodeRegistrar } from "../nodes/node-registrar.js";
import type { RemoteNodeHub } from "../nodes/remote-node-hub.js";
import { contributionsRepo } from "../store/repos/contributions-repo.js";
import { nodesRepo } from "../store/repos/nodes-repo.js";
import { runsRepo } from "../store/repos/runs-repo.js";
import type { SqlDatabase } from "../store/sql-database.js";
import { HttpError } from "./http-errors.js";
import {
  Address,
  ContributionTotalsQuery,
  ContributionsQuery,
  RegisterNodeRequest,
  type NodeResourceReport,
  type NodeSummary,
} from "../domain/index.js";

const NodeId = z
  .string()
  .regex(/^[a-zA-Z0-9_.-]{1,64}$/, "node ids are 1-64 characters of a-z A-Z 0-9 _ . -");

export interface NodeRouteDeps {
  db: SqlDatabase;
  registrar: NodeRegistrar;
  publicClient: PublicClient;
  deployment: () => Deployment | undefined;
  onRegistered: () => void;
  /** Remote agents online now, with their latest resource reports (none: no `resources`). */
  hub?: Pick<RemoteNodeHub, "resources">;
}

export function nodeRoutes(deps: NodeRouteDeps): Router {
  const router = Router();
  const { db } = deps;

  const withTotals = () => nodesWithTotals(db, deps.hub?.resources() ?? new Map());

  router.post("/nodes", async (req, res) => {
    const body = RegisterNodeRequest.parse(req.body);
    const result = await deps.registrar.registerRemote({
      nodeId: body.nodeId,
      wallet: body.wallet as `0x${string}`,
      deadline: body.deadline,
      signature: body.signature as `0x${string}`,
    });
    deps.onRegistered();
    const node = (await withTotals()).find((n) => n.id === body.nodeId)!;
    res.status(result === "inserted" ? 201 : 200).json(node);
  });

  router.get("/nodes", async (_req, res) => {
    res.json(await withTotals());
  });

  router.get("/nodes/:id", async (req, res) => {
    const id = NodeId.parse(req.params.id);
    const node = (await withTotals()).find((n) => n.id === id);
    if (!node) throw new HttpError(404, "node_not_found", `No node ${id}`);
    res.json(node);
  });

  router.get("/contributions", async (req, res) => {
    const q = ContributionsQuery.parse(req.query);
    res.json(await contributionsRepo.find(db, q));
  });

  router.get("/contributions/totals", async (req, res) => {
    const { run } = ContributionTotalsQuery.parse(req.query);
    if (run && !(await runsRepo.get(db, run))) {
      throw new HttpError(404, "run_not_found", `No run ${run}`);
    }
    res.json(await contributionsRepo.totals(db, run));
  });

  router.get("/rewards/:address", async (req, res) => {
    const address = Address.parse(req.params.address) as `0x${string}`;
    const deployment = deps.deployment();
    if (!deployment)
      throw new HttpError(
        503,
        "chain_not_ready",
        "No contract deployment: start the stack with `npm start`.",
      );
    try {
      res.json(await readRewards(deps.publicClient, deployment, address));
    } catch (err) {
      throw new HttpError(
        503,
        "chain_unreachable",
        `Could not read rewards from the chain: ${(err as Error).message.split("\n")[0]}`,
      );
    }
  });

  return router;
}

/**
 * Every node with its contribution totals and, for a remote agent online now, its latest resource
 * report; a remote agent silent too long shows as offline.
 */
async function nodesWithTotals(
  db: SqlDatabase,
  resources: ReadonlyMap<string, NodeResourceReport>,
): Promise<NodeSummary[]> {
  const [nodes, totals] = await Promise.all([
    nodesRepo.list(db),
    contributionsRepo.totalsByNode(db),
  ]);
  const now = Date.now();
  return nodes.map((n) => {
    const t = totals.get(n.id);
    // A remote agent that stopped calling is offline, whatever it last said.
    const silent =
      n.kind === "remote" && (n.lastSeen === null || now - n.lastSeen > AGENT_ONLINE_MS);
    const report = n.kind === "remote" ? resources.get(n.id) : undefined;
    return {
      ...n,
      ...(report ? { resources: report } : {}),
      ...(silent && n.status !== "registered" ? { status: "offline" as const } : {}),
      totals: {
        contributions: t?.contributions ?? 0,
        rewardWei: (t?.rewardWei ?? 0n).toString(),
      },
    };
  });
}
