// What every `fedledger` subcommand is: a name, a usage text, its options (node:util parseArgs)
// and a run function returning the exit code. Shared options and exit codes live here too.
import { parseArgs, type ParseArgsConfig } from "node:util";
import type { CoordinatorClient } from "./client.js";
import { usageError } from "./errors.js";

export { CliError, EXIT, usageError, type ExitCode } from "./errors.js";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Options every subcommand that talks to a coordinator takes. */
export const COMMON_OPTIONS = {
  coordinator: { type: "string" },
  "token-file": { type: "string" },
  json: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} satisfies Options;

export const COMMON_HELP = `  --coordinator <url>  the coordinator (default $FEDLEDGER_COORDINATOR or http://127.0.0.1:8000)
  --token-file <file>  read the admin token from a file (default $FEDLEDGER_ADMIN_TOKEN)
  --json               print JSON instead of text
  -h, --help           this help`;

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  /** Writes without a newline (progress bars); a no-op when stdout is not a terminal. */
  status: (text: string) => void;
  isTty: boolean;
}

export interface Invocation {
  positionals: string[];
  values: Record<string, string | boolean | string[] | undefined>;
  io: Io;
  /** The coordinator client (built from --coordinator, --token-file and the environment). */
  client: () => Promise<CoordinatorClient>;
  json: boolean;
}

export interface Command {
  name: string;
  summary: string;
  /** The full help text (`fedledger <name> --help`). */
  usage: string;
  options?: Options;
  run(inv: Invocation): Promise<number>;
}

/** Parses a subcommand's arguments; unknown options and missing values are usage errors. */
export function parseCommandArgs(
  cmd: Command,
  argv: string[],
): { positionals: string[]; values: Invocation["values"] } {
  try {
    const { positionals, values } = parseArgs({
      args: argv,
      options: { ...COMMON_OPTIONS, ...cmd.options },
      allowPositionals: true,
      strict: true,
    });
    return { positionals, values };
  } catch (err) {
    throw usageError(`${(err as Error).message}\n\n${cmd.usage}`);
  }
}

/** The positional arguments a command needs, or a usage error naming what is missing. */
export function needPositionals(
  cmd: Pick<Command, "usage">,
  positionals: string[],
  names: string[],
  max = names.length,
): string[] {
  if (positionals.length < names.length)
    throw usageError(`missing ${names.slice(positionals.length).join(", ")}\n\n${cmd.usage}`);
  if (positionals.length > max)
    throw usageError(`unexpected ${positionals.slice(max).join(" ")}\n\n${cmd.usage}`);
  return positionals;
}
