import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Deployment } from "./deployment-schema.js";

export const DEPLOYMENTS_DIR = path.resolve(import.meta.dirname, "deployments");

export function deploymentPath(chainId: number, dir = DEPLOYMENTS_DIR): string {
  return path.join(dir, `${chainId}.json`);
}

/** Writes chain/deployments/<chainId>.json, read by the coordinator and the dashboard. */
export function writeDeployment(deployment: Deployment, dir = DEPLOYMENTS_DIR): string {
  mkdirSync(dir, { recursive: true });
  const file = deploymentPath(deployment.chainId, dir);
  writeFileSync(file, JSON.stringify(deployment, null, 2) + "\n");
  return file;
}
