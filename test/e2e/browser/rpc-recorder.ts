import type { Page } from "playwright-core";

/** The JSON-RPC calls a page made itself (not through the wallet), by the URL it sent them to. */
export interface RpcRecorder {
  /** Every JSON-RPC method sent to each origin, in order. */
  readonly byOrigin: Map<string, string[]>;
  /** The methods sent to one origin. */
  methods(origin: string): string[];
  /** Origins other than `allowed` that got JSON-RPC calls. */
  strayOrigins(allowed: string): string[];
}

interface JsonRpcRequest {
  jsonrpc?: unknown;
  method?: unknown;
}

/**
 * Records the page's JSON-RPC requests (viem's http transport posts JSON bodies with a `method`),
 * so a test can assert that the dashboard reads the chain it was started with and no other one.
 */
export function recordRpc(page: Page): RpcRecorder {
  const byOrigin = new Map<string, string[]>();
  page.on("request", (req) => {
    if (req.method() !== "POST") return;
    let body: unknown;
    try {
      body = req.postDataJSON();
    } catch {
      return;
    }
    const calls = (Array.isArray(body) ? body : [body]) as JsonRpcRequest[];
    const methods = calls
      .filter((c) => c && c.jsonrpc === "2.0" && typeof c.method === "string")
      .map((c) => c.method as string);
    if (methods.length === 0) return;
    const origin = new URL(req.url()).origin;
    byOrigin.set(origin, [...(byOrigin.get(origin) ?? []), ...methods]);
  });
  return {
    byOrigin,
    methods: (origin) => byOrigin.get(new URL(origin).origin) ?? [],
    strayOrigins: (allowed) => {
      const ok = new URL(allowed).origin;
      return [...byOrigin.keys()].filter((o) => o !== ok);
    },
  };
}
