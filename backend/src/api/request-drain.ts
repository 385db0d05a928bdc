// Shutting down without answering a request from a closed store: once the coordinator starts to
// close, new API requests get a 503 "shutting down", and the close waits (bounded) for the requests
// already in flight to finish before the store closes. Responses already streaming (event streams
// never finish on their own; downloads read files, not the store) are not waited for. (Before this, a model evaluation still running at close failed with
// "database is not open" and answered an undocumented 500.)
import type { RequestHandler, Response } from "express";

export interface RequestDrain {
  /** First on the /api router: counts requests, refuses new ones while closing. */
  middleware: RequestHandler;
  /** Refuse new requests; resolves when no (non-streaming) request is in flight, or after `ms`. */
  drain(ms: number): Promise<{ unfinished: number }>;
}

/** A response that has sent its head and keeps writing (an event stream, a download). */
const isStream = (res: Response) => res.headersSent;

export function requestDrain(): RequestDrain {
  const inFlight = new Set<Response>();
  let closing = false;
  const busy = () => [...inFlight].filter((r) => !isStream(r)).length;
  return {
    middleware: (_req, res, next) => {
      if (closing) {
        res
          .set("retry-after", "5")
          .status(503)
          .json({
            error: {
              code: "shutting_down",
              message: "The coordinator is shutting down; retry once it is back",
            },
          });
        return;
      }
      inFlight.add(res);
      res.once("close", () => inFlight.delete(res));
      next();
    },
    async drain(ms) {
      closing = true;
      const deadline = Date.now() + ms;
      while (busy() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      return { unfinished: busy() };
    },
  };
}
