// The CLI's exit codes and the one error type every subcommand throws to report and exit.
/** Exit codes, for shell scripts: 0 ok, 1 the run (or audit) failed, 2 usage, 3 unreachable. */
export const EXIT = { ok: 0, failed: 1, usage: 2, unreachable: 3 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the CLI reports in one message and exits with `code`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly code: ExitCode,
  ) {
    super(message);
    this.name = "CliError";
  }
}

export const usageError = (message: string) => new CliError(message, EXIT.usage);
