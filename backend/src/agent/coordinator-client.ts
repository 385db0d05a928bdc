import type { LocalAccount } from "viem";
import { signAgentRequest } from "../nodes/agent-protocol.js";

/** An HTTP error answer of the coordinator, with its JSON error code. */
export class CoordinatorError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The coordinator could not be reached at all (down, restarting, network). */
export class CoordinatorUnreachable extends Error {}

export interface CallOptions {
  body?: unknown;
  raw?: Uint8Array;
  headers?: Record<string, string>;
  /** Sign the request as the node (agent API). */
  signed?: boolean;
  timeoutMs?: number;
  /**
   * A long poll (the coordinator holds it until something happens): its time is waiting, not a
   * round trip, so it does not count as the latest latency.
   */
  longPoll?: boolean;
  /** Abandons the request when it aborts (an agent shutting down does not wait out a long poll). */
  signal?: AbortSignal;
}

/** Talks to one coordinator as one node: every agent call signed by the node's wallet. */
export class CoordinatorClient {
  /** Round trip of the last request that was not a long poll, in ms (null: none yet). */
  private lastLatencyMs: number | null = null;

  constructor(
    readonly baseUrl: string,
    private readonly account: LocalAccount,
    private readonly nodeId: string,
  ) {}

  async call(method: string, pathAndQuery: string, opts: CallOptions = {}): Promise<Response> {
    const url = new URL(pathAndQuery, this.baseUrl);
    const headers: Record<string, string> = { ...opts.headers };
    let body: Buffer | string | undefined;
    if (opts.raw) {
      headers["content-type"] = "application/octet-stream";
      body = Buffer.from(opts.raw.buffer, opts.raw.byteOffset, opts.raw.byteLength);
    } else if (opts.body !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(opts.body);
    }
    if (opts.signed) {
      Object.assign(
        headers,
        await signAgentRequest(
          this.account,
          this.nodeId,
          method,
          url.pathname + url.search,
          body,
          headers,
        ),
      );
    }
    let res: Response;
    const sentAt = performance.now();
    try {
      res = await fetch(url, {
        method,
        headers,
        ...(body !== undefined ? { body } : {}),
        signal: opts.signal
          ? AbortSignal.any([opts.signal, AbortSignal.timeout(opts.timeoutMs ?? 60_000)])
          : AbortSignal.timeout(opts.timeoutMs ?? 60_000),
      });
      // From sending the request to the answer's status and headers: the body is read later.
      if (!opts.longPoll) this.lastLatencyMs = performance.now() - sentAt;
    } catch (err) {
      throw new CoordinatorUnreachable(
        `${this.baseUrl} unreachable: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`,
      );
    }
    if (res.status >= 400) {
      let code = "http_error";
      let message = `${method} ${url.pathname} answered ${res.status}`;
      try {
        const j = (await res.json()) as { error?: { code?: string; message?: string } };
        code = j.error?.code ?? code;
        message = j.error?.message ?? message;
      } catch {
        /* not JSON */
      }
      if (res.status >= 500) throw new CoordinatorUnreachable(`${res.status}: ${message}`);
      throw new CoordinatorError(res.status, code, message);
    }
    return res;
  }

  /** The measured round trip of the last request to the coordinator (long polls aside). */
  get latencyMs(): number | null {
    return this.lastLatencyMs;
  }

  async json<T>(method: string, pathAndQuery: string, opts: CallOptions = {}): Promise<T> {
    return (await (await this.call(method, pathAndQuery, opts)).json()) as T;
  }
}
