// One structured logger for the coordinator, the node agent and the engine's workers (pino).
// LOG_LEVEL sets the threshold (debug, info, warn, error; default info). LOG_FORMAT=json writes
// one JSON object per line (for log shippers); otherwise lines are human-readable:
// `12:00:01.234 INFO [runs] run-… round 3/10: …`.
import pino, { type Logger } from "pino";
import pretty from "pino-pretty";
import { z } from "zod";

export const LogLevel = z.enum(["debug", "info", "warn", "error"]);
export type LogLevel = z.infer<typeof LogLevel>;
export const LogFormat = z.enum(["pretty", "json"]);
export type LogFormat = z.infer<typeof LogFormat>;

function createLogger(env: NodeJS.ProcessEnv): Logger {
  // A bad value is reported by the config's validation; the logger falls back to the default.
  const level = LogLevel.catch("info").parse(env.LOG_LEVEL);
  const format = LogFormat.catch("pretty").parse(env.LOG_FORMAT);
  const options = { level, base: undefined };
  if (format === "json") return pino(options);
  return pino(
    options,
    pretty({
      sync: true,
      colorize: !!process.stdout.isTTY,
      translateTime: "HH:MM:ss.l",
      ignore: "pid,hostname,component",
      messageFormat: "{if component}[{component}] {end}{msg}",
      singleLine: true,
    }),
  );
}

/** The process's root logger. */
export const logger: Logger = createLogger(process.env);

/** A logger whose lines name the part of the system they come from. */
export function componentLogger(component: string): Logger {
  return logger.child({ component });
}

/** Applies the validated configuration (main.ts calls it once the environment is parsed). */
export function setLogLevel(level: LogLevel): void {
  logger.level = level;
}
