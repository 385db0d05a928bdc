import { once } from "node:events";
import type { Request, Response } from "express";
import type { RunEvent } from "../domain/index.js";
import type { RunEvents } from "../events/run-events.js";
import { HttpError } from "./http-errors.js";

export interface SseLimits {
  /** Open streams per client address. */
  perClient: number;
  /** Open streams per run. */
  perRun: number;
  /** Bytes a client may fall behind before its stream is closed (it reconnects and replays). */
  maxBufferedBytes: number;
}

export const DEFAULT_SSE_LIMITS: SseLimits = {
  perClient: 16,
  perRun: 256,
  maxBufferedBytes: 1 << 20,
};

/**
 * Server-Sent Events for runs, bounded: a client or a run can hold only so many streams, history is
 * replayed at the pace the client reads it, and a client that stops reading live events is
 * disconnected instead of growing the coordinator's memory.
 */
export class SseStreams {
  private readonly byClient = new Map<string, number>();
  private readonly byRun = new Map<string, number>();

  constructor(
    private readonly events: RunEvents,
    private readonly limits: SseLimits = DEFAULT_SSE_LIMITS,
  ) {}

  get open(): number {
    let n = 0;
    for (const v of this.byRun.values()) n += v;
    return n;
  }

  async stream(runId: string, req: Request, res: Response): Promise<void> {
    const client = req.socket.remoteAddress ?? "unknown";
    if ((this.byClient.get(client) ?? 0) >= this.limits.perClient) {
      throw new HttpError(
        429,
        "too_many_streams",
        `at most ${this.limits.perClient} event streams per client; close some first`,
      );
    }
    if ((this.byRun.get(runId) ?? 0) >= this.limits.perRun) {
      throw new HttpError(
        429,
        "too_many_streams",
        `at most ${this.limits.perRun} event streams per run`,
      );
    }
    bump(this.byClient, client, 1);
    bump(this.byRun, runId, 1);
    let closed = false;
    const release = () => {
      if (closed) return;
      closed = true;
      bump(this.byClient, client, -1);
      bump(this.byRun, runId, -1);
    };
    res.on("close", release);
    try {
      await this.serve(runId, req, res);
    } catch (err) {
      release();
      throw err;
    }
  }

  private async serve(runId: string, req: Request, res: Response): Promise<void> {
    res.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    const frame = (e: RunEvent) => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`;
    const live = (e: RunEvent) => {
      if (res.writableLength > this.limits.maxBufferedBytes) {
        // Too slow a reader: drop it rather than buffer without bound; it replays on reconnect.
        res.end();
        return;
      }
      res.write(frame(e));
    };
    // Subscribe first, then replay: nothing published in between is lost (duplicates are dropped).
    const buffered: RunEvent[] = [];
    let replaying = true;
    const unsubscribe = this.events.subscribe(runId, (e) =>
      replaying ? buffered.push(e) : live(e),
    );
    const keepAlive = setInterval(() => res.write(": keep-alive\n\n"), 15_000);
    req.on("close", () => {
      clearInterval(keepAlive);
      unsubscribe();
    });
    const history = await this.events.history(runId);
    const seen = new Set(history.map((e) => JSON.stringify(e)));
    for (const e of [...history, ...buffered.filter((b) => !seen.has(JSON.stringify(b)))]) {
      if (res.destroyed) return;
      // Replay at the client's pace.
      if (!res.write(frame(e))) await once(res, "drain").catch(() => undefined);
    }
    replaying = false;
    res.write(": replay done\n\n");
  }
}

function bump(m: Map<string, number>, key: string, by: number): void {
  const n = (m.get(key) ?? 0) + by;
  if (n <= 0) m.delete(key);
  else m.set(key, n);
}
