// Loads ./.env (Node's process.loadEnvFile) into process.env, without overriding variables already
// set. Imported first by every entry point (coordinator, `npm start`, scripts, the CLI, the node
// agent) so that modules reading the environment at import time (the logger) see it too.
// ENV_FILE names another file; every variable is listed in .env.example.
import { existsSync } from "node:fs";
import path from "node:path";

/** Loads `file` (default: $ENV_FILE or ./.env) if it exists; returns the path loaded, if any. */
export function loadEnvFile(file = process.env.ENV_FILE ?? ".env"): string | undefined {
  const full = path.resolve(file);
  if (!existsSync(full)) {
    if (process.env.ENV_FILE) throw new Error(`ENV_FILE=${process.env.ENV_FILE} does not exist`);
    return undefined;
  }
  process.loadEnvFile(full);
  return full;
}

loadEnvFile();
