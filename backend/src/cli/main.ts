// `fedledger <command>`: FedLedger from the shell. Runs as code (run config files, presets),
// results out (export, compare), the coordinator's runs and nodes, and the audit and node agent.
// Talks to a coordinator over HTTP: --coordinator or FEDLEDGER_COORDINATOR (default
// http://127.0.0.1:8000); the admin token from FEDLEDGER_ADMIN_TOKEN or --token-file.
// Exit codes: 0 ok, 1 the run or audit failed, 2 usage or validation error, 3 unreachable.
import "../load-env.js";
import { readFileSync } from "node:fs";
import { z } from "zod";
import { chainCommands } from "./chain-commands.js";
import { CoordinatorClient } from "./client.js";
import { CliError, EXIT, parseCommandArgs, usageError, type Command, type Io } from "./command.js";
import { compareCommand } from "./compare-command.js";
import { controlCommands } from "./control-command.js";
import { exportCommand } from "./export-command.js";
import { passThroughCommands, schemaCommand } from "./local-commands.js";
import { logsCommand } from "./logs-command.js";
import { runCommand } from "./run-command.js";
import { runsCommand } from "./runs-command.js";

export const COMMANDS: readonly Command[] = [
  runCommand,
  runsCommand,
  logsCommand,
  ...controlCommands,
  exportCommand,
  compareCommand,
  ...chainCommands,
  schemaCommand,
];

function overview(): string {
  const all = [...COMMANDS, ...passThroughCommands];
  const width = Math.max(...all.map((c) => c.name.length));
  return `usage: fedledger <command> [arguments] [--coordinator <url>] [--token-file <file>] [--json]

commands:
${all.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join("\n")}

\`fedledger <command> --help\` describes each. The coordinator: --coordinator or
FEDLEDGER_COORDINATOR (default http://127.0.0.1:8000); the admin token for mutating calls:
FEDLEDGER_ADMIN_TOKEN or --token-file. Exit codes: 0 ok, 1 the run or audit failed, 2 usage or
validation error, 3 coordinator unreachable.`;
}

const CoordinatorUrl = z.url({ message: "must be a URL such as http://127.0.0.1:8000" });

/** The client for --coordinator / FEDLEDGER_COORDINATOR and --token-file / FEDLEDGER_ADMIN_TOKEN. */
function clientFor(values: Record<string, unknown>, env: NodeJS.ProcessEnv): CoordinatorClient {
  const raw =
    (values.coordinator as string | undefined) ??
    env.FEDLEDGER_COORDINATOR ??
    "http://127.0.0.1:8000";
  const url = CoordinatorUrl.safeParse(raw);
  if (!url.success) throw usageError(`--coordinator ${raw}: ${url.error.issues[0]!.message}`);
  let token = env.FEDLEDGER_ADMIN_TOKEN || undefined;
  const tokenFile = values["token-file"] as string | undefined;
  if (tokenFile) {
    try {
      token = readFileSync(tokenFile, "utf8").trim();
    } catch (err) {
      throw usageError(`--token-file ${tokenFile}: ${(err as Error).message}`);
    }
  }
  return new CoordinatorClient(url.data.replace(/\/+$/, ""), token);
}

export const processIo: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  status: (text) => {
    if (process.stderr.isTTY) process.stderr.write(text);
  },
  isTty: Boolean(process.stderr.isTTY),
};

/** Runs `fedledger` with `argv` (without the program name); returns the exit code. */
export async function main(argv: string[], io: Io = processIo, env = process.env): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    (name ? io.out : io.err)(overview());
    return name ? EXIT.ok : EXIT.usage;
  }
  const passThrough = passThroughCommands.find((c) => c.name === name);
  if (passThrough) return passThrough.run(rest);
  const cmd = COMMANDS.find((c) => c.name === name);
  try {
    if (!cmd) throw usageError(`unknown command "${name}"\n\n${overview()}`);
    const { positionals, values } = parseCommandArgs(cmd, rest);
    if (values.help) {
      io.out(cmd.usage);
      return EXIT.ok;
    }
    return await cmd.run({
      positionals,
      values,
      io,
      json: values.json === true,
      client: async () => clientFor(values, env),
    });
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    io.err(`fedledger ${name}: ${err.message}`);
    return err.code;
  }
}
