import { existsSync, readFileSync } from "node:fs";
import { DeploymentSchema, type Deployment } from "../../../chain/deployment-schema.js";

export type { Deployment };

/** Reads and validates a deployment file; a clear error says how to produce one. */
export function readDeployment(file: string): Deployment {
  if (!existsSync(file)) {
    throw new Error(
      `No contract deployment at ${file}. Start the stack with \`npm start\` (it deploys), or run ` +
        "`npm run deploy:local` against a running chain.",
    );
  }
  const parsed = DeploymentSchema.safeParse(JSON.parse(readFileSync(file, "utf8")));
  if (!parsed.success) {
    throw new Error(`Deployment file ${file} is malformed: ${parsed.error.message}`);
  }
  return parsed.data;
}
