import { z } from "zod";

/**
 * A run's alert rules. Every field has a default, so a run that says nothing gets them all; a run
 * sets `alerts: { <rule>: null }` to switch one off. The coordinator-wide conditions (chain
 * unreachable, disk nearly full) are the coordinator's (ALERT_* variables), not a run's.
 */
export const AlertRules = z
  .object({
    /** Test accuracy more than this many points (0-100) below the run's best so far. */
    accuracyDropPoints: z.number().positive().max(100).nullable().default(10),
    /**
     * Test loss not finite, or more than this many times the run's lowest so far (the start
     * model's validation loss counts: a first round far worse than the start is diverging too).
     */
    lossDivergenceFactor: z.number().gt(1).max(1000).nullable().default(3),
    /** More than this fraction of a round's chosen nodes failed, were rejected or were late. */
    failedFraction: z.number().min(0).max(1).nullable().default(0.5),
    /** A node's update rejected this many rounds in a row. */
    rejectedStreak: z.number().int().min(1).max(1000).nullable().default(3),
    /** One of the run's chain writes pending longer than this (ms), or failed. */
    outboxPendingMs: z.number().int().min(1000).max(86_400_000).nullable().default(300_000),
    /** With privacy.maxEpsilon: the spent epsilon reached this fraction of the cap. */
    epsilonWarnFraction: z.number().gt(0).max(1).nullable().default(0.9),
    /** Alert on updates flagged anomalous (see RunConfig.anomaly). */
    anomalousUpdates: z.boolean().default(true),
    /**
     * A round alert clears only after its condition has been false this many rounds in a row, so
     * a condition that comes and goes (a noisy run) stays one alert instead of many.
     */
    clearAfterRounds: z.number().int().min(1).max(1000).default(3),
  })
  .strict();
export type AlertRules = z.output<typeof AlertRules>;
export const DEFAULT_ALERT_RULES: AlertRules = AlertRules.parse({});

/**
 * Anomaly screening of updates (whenever the coordinator sees them, whatever the strategy): each
 * update's norm and cosine to the round's mean update are scored against the run's history with a
 * robust z-score (median and MAD); past `threshold` the update is flagged, and with `exclude` it is
 * left out of the aggregate (reason recorded, no reward).
 */
export const AnomalySpec = z
  .object({
    /** Robust z-score past which an update is flagged (|z| of the norm, -z of the cosine). */
    threshold: z.number().gt(0).max(100).default(3.5),
    /** Updates of earlier rounds needed before anything is flagged. */
    minHistory: z.number().int().min(3).max(100_000).default(20),
    /** Leave flagged updates out of the aggregate (reason recorded, no reward). */
    exclude: z.boolean().default(false),
  })
  .strict();
export type AnomalySpec = z.output<typeof AnomalySpec>;
export const DEFAULT_ANOMALY: AnomalySpec = AnomalySpec.parse({});

export const AlertSeverity = z.enum(["info", "warning", "critical"]);
export type AlertSeverity = z.infer<typeof AlertSeverity>;

export const ALERT_KINDS = [
  "accuracy-drop",
  "loss-diverging",
  "nodes-failing",
  "node-rejected",
  "update-anomaly",
  "outbox-stuck",
  "outbox-failed",
  "chain-unreachable",
  "disk-nearly-full",
  "privacy-budget",
] as const;
export const AlertKind = z.enum(ALERT_KINDS);
export type AlertKind = z.infer<typeof AlertKind>;

/** One alert: raised once when its condition starts, cleared when it ends. */
export const Alert = z.object({
  id: z.number().int(),
  kind: AlertKind,
  severity: AlertSeverity,
  /** The run (and node) it concerns; null for coordinator-wide conditions. */
  runId: z.string().nullable(),
  nodeId: z.string().nullable(),
  /** What is wrong, with the figures. */
  message: z.string(),
  /** What to do about it. */
  action: z.string(),
  raisedAt: z.number(),
  /** When the condition ended (null: still holds). */
  clearedAt: z.number().nullable(),
  acknowledgedAt: z.number().nullable(),
});
export type Alert = z.infer<typeof Alert>;

export const AlertsQuery = z
  .object({
    /** active: not cleared; unacknowledged: active and not acknowledged. */
    status: z.enum(["active", "unacknowledged", "all"]).default("all"),
    run: z.string().min(1).max(64).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(200),
  })
  .strict();

/** What happened to an alert (SSE event `alert`, webhook payload). */
export const AlertChange = z.enum(["raised", "cleared", "acknowledged"]);
export type AlertChange = z.infer<typeof AlertChange>;
