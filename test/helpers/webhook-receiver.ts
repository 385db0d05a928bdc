import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedHook {
  path: string;
  body: unknown;
  at: number;
}

/**
 * A webhook receiver on a loopback port that records every POST. `failFirst` requests answer 503
 * (the sender must retry them); after that each answers 200.
 */
export interface WebhookReceiver {
  url: string;
  received: ReceivedHook[];
  /** Requests answered with an error so far. */
  refused: number;
  close(): Promise<void>;
}

export async function startWebhookReceiver(failFirst = 0): Promise<WebhookReceiver> {
  const state = { received: [] as ReceivedHook[], refused: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (state.refused < failFirst) {
        state.refused++;
        res.writeHead(503).end("try later");
        return;
      }
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        body = Buffer.concat(chunks).toString("utf8");
      }
      state.received.push({ path: req.url ?? "", body, at: Date.now() });
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get received() {
      return state.received;
    },
    get refused() {
      return state.refused;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
