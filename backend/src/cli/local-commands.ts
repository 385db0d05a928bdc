// The subcommands that do not talk to a coordinator through this CLI's client: `schema` (the run
// config's JSON Schema), and `audit`, `node` and `model`, which are the same programs as `npm run
// audit`, `npm run node` and `npm run model` (they parse their own arguments and print their own --help).
import { runFileJsonSchema } from "../domain/index.js";
import { EXIT, type Command } from "./command.js";

export const schemaCommand: Command = {
  name: "schema",
  summary: "print the JSON Schema of run config files (for editor completion)",
  usage: `usage: fedledger schema > run.schema.json

Prints the JSON Schema of a run config file: the run request of POST /api/runs (the same schema
the coordinator validates with) plus the file-only keys $schema and preset. Point your editor at
it, e.g. a first line "# yaml-language-server: $schema=./run.schema.json" in a YAML file.`,
  async run({ io }) {
    io.out(JSON.stringify(runFileJsonSchema(), null, 2));
    return EXIT.ok;
  },
};

/** Subcommands that take their raw arguments (their own parsing, --help included). */
export interface PassThrough {
  name: string;
  summary: string;
  run(argv: string[]): Promise<number>;
}

export const passThroughCommands: PassThrough[] = [
  {
    name: "audit",
    summary: "re-derive a run's rewards from chain events (npm run audit); exit 1 on a mismatch",
    // Loaded when used: the store, the chain client and the engine are slow to import.
    run: async (argv) => (await import("../audit/audit-cli.js")).auditCli(argv),
  },
  {
    name: "node",
    summary: "run a node agent on this machine (npm run node)",
    run: async (argv) => (await import("../agent/agent-cli.js")).nodeAgentCli(argv),
  },
  {
    name: "model",
    summary: "export a run's model version as a TF.js LayersModel, offline from the store",
    run: async (argv) => (await import("../artifacts/model-cli.js")).modelCli(argv),
  },
];
