// GET /metrics on the real stack: scraped while a run trains and after it, each value checked
// against what the API says.
import { expect } from "chai";
import "../helpers/chai-near.js";
import { readFileSync } from "node:fs";
import { request } from "node:http";
import path from "node:path";
import type { CreateRunRequest, RoundRecord, RunSummary } from "../../backend/src/domain/index.js";
import { rejectionClass } from "../../backend/src/metrics/coordinator-metrics.js";
import type { Coordinator } from "../../backend/src/coordinator.js";
import type { LocalChain } from "../helpers/local-chain.js";
import { finishedRun, startCoordinatorStack } from "../helpers/coordinator-stack.js";
import { api, type TestServer } from "../helpers/http.js";
import { until } from "../helpers/until.js";

/** Prometheus text format: `name{a="b"} value` lines, comments skipped. */
function parse(text: string): { name: string; labels: Record<string, string>; value: number }[] {
  return text
    .split("\n")
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => {
      const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(l);
      if (!m) throw new Error(`not a Prometheus sample line: ${l}`);
      const labels: Record<string, string> = {};
      for (const [, k, v] of (m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[k!] = v!;
      return { name: m[1]!, labels, value: Number(m[3]) };
    });
}

describe("metrics for Prometheus", function () {
  this.timeout(300_000);
  let chain: LocalChain;
  let coord: Coordinator;
  let server: TestServer;

  before(async () => {
    ({ chain, coord, server } = await startCoordinatorStack({
      dataDirPrefix: "fl-metrics-",
      workers: 2,
    }));
  });
  after(async () => {
    await server?.close();
    await coord?.close();
    await chain?.stop();
  });

  async function scrape() {
    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).to.equal(200);
    expect(res.headers.get("content-type")).to.match(/^text\/plain; version=0\.0\.4/);
    const samples = parse(await res.text());
    const value = (name: string, labels: Record<string, string> = {}) =>
      samples
        .filter(
          (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
        )
        .reduce((sum, s) => sum + s.value, 0);
    const has = (name: string) => samples.some((s) => s.name === name);
    return { value, has };
  }

  it("scrapes during a run and after it; rounds, accuracy, updates, outbox, chain and process match the API", async () => {
    const req: CreateRunRequest = {
      dataset: "synthetic",
      model: "2nn",
      partition: { kind: "iid" },
      numNodes: 4,
      fraction: 1,
      rounds: 6,
      localEpochs: 2,
      batchSize: 20,
      learningRate: 0.05,
      strategy: { name: "fedavg" },
      reward: { policy: "loss-improvement", poolPerRound: "100" },
      seed: 5,
    };
    const created = await api<RunSummary>(server.url, "POST", "/api/runs", req);
    expect(created.status).to.equal(201);
    const id = created.body.id;

    // While it runs: an open event stream is counted, the run is "running", workers are alive.
    const stream = new AbortController();
    const sse = await fetch(`${server.url}/api/runs/${id}/events`, { signal: stream.signal });
    expect(sse.status).to.equal(200);
    // Wait for a scrape that sees the run running and its workers up (the worker count is
    // process-wide: other suites' pools may be open too, so at least this run's 2).
    const during = await until("a scrape while the run trains", async () => {
      const s = await scrape();
      const running = s.value("fedledger_runs", { status: "running" }) === 1;
      return running && s.value("fedledger_training_workers", { state: "alive" }) >= 2 && s;
    });
    expect(during.value("fedledger_sse_clients")).to.equal(1);
    expect(during.value("fedledger_runs", { status: "running" })).to.equal(1);
    expect(during.value("fedledger_training_workers", { state: "alive" })).to.be.at.least(2);
    for (const name of [
      "process_cpu_seconds_total",
      "process_resident_memory_bytes",
      "nodejs_eventloop_lag_seconds",
    ])
      expect(during.has(name), name).to.equal(true);
    stream.abort();

    const { rounds } = await finishedRun(server.url, id);
    // A round's counter moves just after its transaction hash is visible in the API.
    const after = await until(
      "metrics to see every round on chain and the stream closed",
      async () => {
        const s = await scrape();
        const onChain = s.value("fedledger_rounds_recorded_on_chain_total") === 6;
        return onChain && s.value("fedledger_sse_clients") === 0 && s;
      },
    );
    const last = rounds.at(-1) as RoundRecord;
    expect(after.value("fedledger_rounds_completed_total", { run_id: id })).to.equal(6);
    expect(after.value("fedledger_round_duration_seconds_count")).to.equal(6);
    expect(after.value("fedledger_run_test_accuracy", { run_id: id })).to.equal(last.testAccuracy);
    expect(after.value("fedledger_run_test_loss", { run_id: id })).to.be.near(
      last.testLoss!,
      1e-12,
    );
    expect(after.value("fedledger_runs", { status: "completed" })).to.equal(1);

    // Bytes moved, as the round records measured them (uncompressed: sent = raw).
    const sum = (f: (t: NonNullable<RoundRecord["traffic"]>) => number) =>
      rounds.reduce((x, r) => x + f(r.traffic!), 0);
    const up = sum((t) => t.uploadBytes);
    expect(up).to.be.greaterThan(0);
    expect(
      after.value("fedledger_update_bytes_total", { direction: "upload", kind: "sent" }),
    ).to.equal(up);
    expect(
      after.value("fedledger_update_bytes_total", { direction: "upload", kind: "raw" }),
    ).to.equal(sum((t) => t.uploads * t.rawModelBytes));
    expect(
      after.value("fedledger_update_bytes_total", { direction: "download", kind: "sent" }),
    ).to.equal(sum((t) => t.downloadBytes));
    const accepted = rounds.flatMap((r) => r.updates).filter((u) => u.accepted).length;
    expect(after.value("fedledger_updates_total", { outcome: "accepted" })).to.equal(accepted);
    expect(after.value("fedledger_updates_total", { outcome: "rejected" })).to.equal(
      rounds.flatMap((r) => r.updates).length - accepted,
    );

    // The outbox as the API lists it; every round recorded, every token minted counted.
    const pending = await api<unknown[]>(server.url, "GET", "/api/outbox?status=pending");
    const confirmed = await api<unknown[]>(
      server.url,
      "GET",
      "/api/outbox?status=confirmed&limit=1000",
    );
    expect(after.value("fedledger_outbox_items", { status: "pending" })).to.equal(
      pending.body.length,
    );
    expect(after.value("fedledger_outbox_items", { status: "confirmed" })).to.equal(
      confirmed.body.length,
    );
    expect(after.value("fedledger_outbox_oldest_pending_seconds")).to.equal(0);
    expect(after.value("fedledger_rounds_recorded_on_chain_total")).to.equal(6);
    const paid = rounds.flatMap((r) => r.updates).reduce((s, u) => s + BigInt(u.reward ?? "0"), 0n);
    expect(after.value("fedledger_tokens_minted_total")).to.be.near(Number(paid) / 1e18, 1e-9);
    expect(after.value("fedledger_gas_used_total", { function: "recordRound" })).to.be.greaterThan(
      0,
    );
    expect(after.value("fedledger_gas_used_total", { function: "registerRun" })).to.be.greaterThan(
      0,
    );
    expect(
      after.value("fedledger_chain_rpc_duration_seconds_count", { outcome: "ok" }),
    ).to.be.greaterThan(0);
    expect(after.value("fedledger_training_worker_busy_seconds_total")).to.be.greaterThan(0);
    expect(after.value("fedledger_nodes_online")).to.equal(0);

    // The Grafana dashboard in the repo asks only for series this coordinator exports.
    const dashboard = readFileSync(
      path.join(import.meta.dirname, "../../docs/grafana/fedledger-dashboard.json"),
      "utf8",
    );
    const exprs = (JSON.parse(dashboard) as { panels: { targets: { expr: string }[] }[] }).panels
      .flatMap((p) => p.targets.map((t) => t.expr))
      .join(" ");
    const named = new Set(exprs.match(/\b(?:fedledger|process|nodejs)_\w+/g));
    expect(named.size).to.be.greaterThan(15);
    for (const name of named) expect(after.has(name), name).to.equal(true);
  });

  it("classifies rejection reasons into few label values", () => {
    expect(rejectionClass("no update within the round timeout (30000 ms)")).to.equal("straggler");
    expect(rejectionClass("bad signature: signed by nobody, node wallet is 0x1")).to.equal(
      "signature",
    );
    expect(rejectionClass("update hash does not match the update's bytes")).to.equal("hash");
    expect(rejectionClass("wrong shape: 3 parameters, expected 4")).to.equal("shape");
    expect(rejectionClass("non-finite value (NaN) at parameter 7")).to.equal("non-finite");
    expect(rejectionClass("krum: not selected (score 1e3 > cutoff 1e2)")).to.equal("robust-filter");
    expect(rejectionClass("not admitted: no chain registration")).to.equal("not-admitted");
    expect(rejectionClass("malformed compressed update: scale 0 is NaN")).to.equal(
      "malformed-payload",
    );
    expect(rejectionClass("something new")).to.equal("other");
  });

  it("answers loopback only without an admin token, like the API", async () => {
    // fetch() will not send another Host header; a DNS-rebound page's request does.
    const u = new URL(`${server.url}/metrics`);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        { host: u.hostname, port: u.port, path: u.pathname, headers: { host: "evil.example:80" } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      req.end();
    });
    expect(status).to.equal(403);
  });
});
