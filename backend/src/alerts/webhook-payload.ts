import { createHash } from "node:crypto";
import type { Alert, AlertChange } from "../domain/index.js";

/**
 * A webhook alerts are POSTed to: `json` (the alert as the API shows it, with the change and a
 * one-line text) or `slack` (Slack's incoming-webhook body, `{ text }`, which Mattermost and
 * Discord's Slack-compatible endpoints accept too).
 */
export interface WebhookTarget {
  url: string;
  format: "json" | "slack";
  /** Stored with each delivery instead of the URL (which often carries a secret token). */
  id: string;
}

/**
 * ALERT_WEBHOOK_URLS: comma-separated URLs; `slack:` before a URL sends Slack's format.
 * Throws on anything that is not an http(s) URL.
 */
export function parseWebhookTargets(spec: string | undefined): WebhookTarget[] {
  if (!spec?.trim()) return [];
  return spec
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((entry) => {
      const slack = entry.startsWith("slack:");
      const url = slack ? entry.slice("slack:".length) : entry;
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        throw new Error(`ALERT_WEBHOOK_URLS: "${redact(url)}" is not a URL`);
      }
      if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
        throw new Error(`ALERT_WEBHOOK_URLS: ${redact(url)} is not http(s)`);
      }
      const format = slack ? ("slack" as const) : ("json" as const);
      const id = `${format}:${createHash("sha256").update(url).digest("hex").slice(0, 16)}`;
      return { url, format, id };
    });
}

/** A URL for logs: origin only (Slack's path is the secret). */
export function redact(url: string): string {
  try {
    return `${new URL(url).origin}/…`;
  } catch {
    return "(unparseable URL)";
  }
}

/** One line that says what happened and what to do. */
export function alertText(change: AlertChange, a: Alert): string {
  const where = [a.runId && `run ${a.runId}`, a.nodeId && `node ${a.nodeId}`]
    .filter(Boolean)
    .join(", ");
  const head = `FedLedger ${a.severity} alert ${change}: ${a.kind}${where ? ` (${where})` : ""}`;
  return change === "raised"
    ? `${head}: ${a.message} What to do: ${a.action}`
    : `${head}: ${a.message}`;
}

export function webhookPayload(target: WebhookTarget, change: AlertChange, alert: Alert): unknown {
  const text = alertText(change, alert);
  if (target.format === "slack") return { text };
  return { source: "fedledger", change, alert, text };
}
