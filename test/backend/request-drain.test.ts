import { expect } from "chai";
import express from "express";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createApp } from "../../backend/src/api/app.js";
import { requestDrain } from "../../backend/src/api/request-drain.js";

/**
 * Shutting down while a request runs: it used to read from a store that had just closed ("database
 * is not open", an undocumented 500). Now the close waits for it, and new requests get a 503.
 */
describe("coordinator shutdown: requests in flight finish, new ones are refused", () => {
  let server: Server;
  let base: string;
  const drain = requestDrain();
  let storeOpen = true;

  before(async () => {
    const router = express.Router();
    router.get("/slow", async (_req, res) => {
      await new Promise((r) => setTimeout(r, 400));
      if (!storeOpen) throw new Error("database is not open");
      res.json({ ok: true });
    });
    router.get("/events", (_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(": hello\n\n");
    });
    const app = createApp({
      adminToken: undefined,
      routers: [router],
      middleware: [drain.middleware],
    });
    server = app.listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it("waits for the slow request (not for an event stream), then refuses with 503 and Retry-After", async () => {
    const stream = new AbortController();
    const events = await fetch(`${base}/events`, { signal: stream.signal });
    expect(events.status).to.equal(200);
    const slow = fetch(`${base}/slow`);
    await new Promise((r) => setTimeout(r, 50)); // the slow request is in flight
    const started = Date.now();
    const drained = await drain.drain(5_000);
    storeOpen = false; // what the coordinator does next
    expect(drained.unfinished).to.equal(0);
    expect(Date.now() - started).to.be.lessThan(2_000); // the event stream was not waited for
    const answer = await slow;
    expect(answer.status).to.equal(200);
    const late = await fetch(`${base}/slow`);
    expect(late.status).to.equal(503);
    expect(late.headers.get("retry-after")).to.equal("5");
    expect(((await late.json()) as { error: { code: string } }).error.code).to.equal(
      "shutting_down",
    );
    stream.abort();
  });

  it("gives up after its bound and says how many requests were still running", async () => {
    const d = requestDrain();
    const app = express();
    app.use(d.middleware);
    app.get("/hang", () => undefined);
    const s = app.listen(0, "127.0.0.1");
    await new Promise((r) => s.once("listening", r));
    const url = `http://127.0.0.1:${(s.address() as AddressInfo).port}/hang`;
    const ctl = new AbortController();
    const hanging = fetch(url, { signal: ctl.signal }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 50));
    expect((await d.drain(200)).unfinished).to.equal(1);
    ctl.abort();
    await hanging;
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  });
});
