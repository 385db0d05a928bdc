// Alerts provoked for real: a diverging learning rate, a privacy cap that is reached, a chain that
// stops answering (and the chain writes that pile up behind it), and node agents killed mid-round.
// Each alert is raised once, stored, streamed, delivered to a webhook receiver this test runs
// (which refuses the first deliveries, so the sender must retry) and cleared when its condition
// ends; acknowledging is an admin call; everything survives a restart.
import { expect } from "chai";
import type {
  Alert,
  CreateRunRequest,
  RunEvent,
  RunSummary,
} from "../../backend/src/domain/index.js";
import { alertDeliveriesRepo } from "../../backend/src/store/repos/alert-deliveries-repo.js";
import {
  finishedRun,
  startCoordinator,
  startCoordinatorStack,
  type CoordinatorStack,
} from "../helpers/coordinator-stack.js";
import { api } from "../helpers/http.js";
import { listen, type TestServer } from "../helpers/http.js";
import { startLocalChain, type LocalChain } from "../helpers/local-chain.js";
import { HARDHAT_DEV_KEYS, startAgents, type Child } from "../helpers/processes.js";
import { startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy.js";
import { until } from "../helpers/until.js";
import { startWebhookReceiver, type WebhookReceiver } from "../helpers/webhook-receiver.js";

const base: CreateRunRequest = {
  dataset: "synthetic",
  model: "2nn",
  partition: { kind: "iid" },
  numNodes: 4,
  fraction: 1,
  rounds: 3,
  localEpochs: 1,
  batchSize: 20,
  learningRate: 0.05,
  strategy: { name: "fedavg" },
  seed: 3,
};

interface AlertList {
  alerts: Alert[];
  counts: { active: number; unacknowledged: number };
}

interface HookBody {
  change?: string;
  alert?: Alert;
  text: string;
}

const TOKEN = "alerts-test-admin-token-0123456789";

describe("alerts", function () {
  this.timeout(600_000);
  let chain: LocalChain;
  let proxy: TcpProxy;
  let receiver: WebhookReceiver;
  let stack: CoordinatorStack;
  let server: TestServer;
  let url: string;

  before(async () => {
    chain = await startLocalChain();
    proxy = await startTcpProxy(chain.port);
    receiver = await startWebhookReceiver(3);
    stack = await startCoordinatorStack({
      dataDirPrefix: "fl-alerts-",
      chain,
      rpcUrl: proxy.url,
      env: {
        ALERT_WEBHOOK_URLS: `${receiver.url}/hook,slack:${receiver.url}/slack`,
        ALERT_CHAIN_UNREACHABLE_MS: "1000",
        ALERT_CHECK_MS: "200",
      },
      webhookSender: { pollMs: 100, baseDelayMs: 100, maxDelayMs: 400 },
    });
    server = stack.server;
    url = server.url;
  });

  after(async () => {
    await server?.close();
    await stack?.coord.close();
    await proxy?.close();
    await chain?.stop();
    await receiver?.close();
  });

  const list = async (query = "") => (await api<AlertList>(url, "GET", `/api/alerts${query}`)).body;
  const ofRun = async (runId: string, kind: string) =>
    (await list(`?run=${runId}`)).alerts.filter((a) => a.kind === kind);
  const hooks = (id: number, path: string) =>
    receiver.received
      .filter((h) => h.path === path && (h.body as HookBody).change !== undefined)
      .filter((h) => (h.body as HookBody).alert?.id === id);
  const slackFor = (a: Alert) =>
    receiver.received.filter(
      (h) => h.path === "/slack" && (h.body as HookBody).text.includes(`${a.kind}`),
    );

  async function create(req: CreateRunRequest): Promise<string> {
    const created = await api<RunSummary>(url, "POST", "/api/runs", req);
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    return created.body.id;
  }

  /** The alert of `kind` was raised once, cleared, and both changes reached both webhooks. */
  async function raisedOnceAndCleared(runId: string, kind: string): Promise<Alert> {
    const [alert, ...more] = await until(`a cleared ${kind} alert`, async () => {
      const found = await ofRun(runId, kind);
      return found.length > 0 && found.every((a) => a.clearedAt !== null) && found;
    });
    expect(more, `${kind} raised more than once`).to.have.length(0);
    await until(`${kind} raised and cleared at the JSON webhook`, async () => {
      const changes = hooks(alert!.id, "/hook").map((h) => (h.body as HookBody).change);
      return changes.includes("raised") && changes.includes("cleared");
    });
    const raised = hooks(alert!.id, "/hook").filter(
      (h) => (h.body as HookBody).change === "raised",
    );
    expect(raised, "delivered once").to.have.length(1);
    await until(`${kind} at the Slack webhook`, async () => slackFor(alert!).length >= 2);
    const slack = slackFor(alert!)[0]!.body as Record<string, unknown>;
    expect(Object.keys(slack)).to.deep.equal(["text"]);
    expect(slack.text).to.contain("What to do:");
    const events = await stack.coord.events.history(runId);
    const changes = events
      .filter((e): e is Extract<RunEvent, { type: "alert" }> => e.type === "alert")
      .filter((e) => e.alert.id === alert!.id)
      .map((e) => e.change);
    expect(changes).to.deep.equal(["raised", "cleared"]);
    return alert!;
  }

  it("a diverging learning rate raises loss-diverging once; it clears when the run ends", async () => {
    // Softmax regression on Fashion-MNIST at learning rate 10: the test loss goes from ~2.5 to
    // 25-40 and stays there (measured: 24.9, 37.6, 31.4 over three rounds).
    const id = await create({
      ...base,
      dataset: "fashion-mnist",
      trainLimit: 2000,
      model: "logreg",
      learningRate: 10,
      localEpochs: 2,
      batchSize: 10,
    });
    const { rounds } = await finishedRun(url, id);
    const losses = rounds.map((r) => r.testLoss);
    const alert = await raisedOnceAndCleared(id, "loss-diverging");
    expect(alert.severity).to.equal("critical");
    expect(alert.message, JSON.stringify(losses)).to.match(/test loss/);
    expect(alert.action).to.match(/lower learning rate/);
    // The sender retried: the receiver refused the first three deliveries.
    expect(receiver.refused).to.equal(3);
    // An ordinary run raises nothing.
    const calm = await create(base);
    await finishedRun(url, calm);
    expect((await list(`?run=${calm}`)).alerts).to.deep.equal([]);
  });

  it("a privacy cap that is reached raises privacy-budget once; it clears when the run ends", async () => {
    const id = await create({
      ...base,
      numNodes: 6,
      fraction: 0.5,
      rounds: 8,
      privacy: { clipNorm: 1, noiseMultiplier: 0.5, delta: 1e-5, maxEpsilon: 6 },
    });
    const { run, rounds } = await finishedRun(url, id);
    expect(run.status).to.equal("completed");
    expect(rounds.length).to.be.lessThan(8);
    const alert = await raisedOnceAndCleared(id, "privacy-budget");
    expect(alert.message).to.match(/maxEpsilon 6/);
  });

  it("a stopped chain raises chain-unreachable and outbox-stuck once each; both clear when it is back", async () => {
    await proxy.down();
    const id = await create({ ...base, alerts: { outboxPendingMs: 1000 } });
    const [down] = await until("chain-unreachable raised", async () => {
      const found = (await list("?status=active")).alerts.filter(
        (a) => a.kind === "chain-unreachable",
      );
      return found.length > 0 && found;
    });
    expect(down!.runId).to.equal(null);
    const [stuck] = await until("outbox-stuck raised for the run", async () => {
      const found = await ofRun(id, "outbox-stuck");
      return found.length > 0 && found;
    });
    expect(stuck!.clearedAt).to.equal(null);
    // Many checks later, still one alert each.
    await new Promise((r) => setTimeout(r, 1500));
    expect((await list()).alerts.filter((a) => a.kind === "chain-unreachable")).to.have.length(1);
    expect(await ofRun(id, "outbox-stuck")).to.have.length(1);
    await proxy.up();
    await finishedRun(url, id);
    await until("chain-unreachable cleared", async () => {
      const all = (await list()).alerts.filter((a) => a.kind === "chain-unreachable");
      return all.length === 1 && all[0]!.clearedAt !== null;
    });
    await raisedOnceAndCleared(id, "outbox-stuck");
    const counts = await alertDeliveriesRepo.counts(stack.coord.db);
    expect(counts.failed, "no delivery given up").to.equal(0);
  });

  it("alerts survive a restart; acknowledging is an admin call", async () => {
    const before = (await list()).alerts;
    expect(before.length).to.be.greaterThan(3);
    await server.close();
    await stack.coord.close();
    stack.coord = await startCoordinator({ ...stack.env, ADMIN_TOKEN: TOKEN });
    server = await listen(stack.coord.app);
    url = server.url;
    expect((await list()).alerts).to.deep.equal(before);
    const target = before[0]!;
    const path = `/api/alerts/${target.id}/acknowledge`;
    expect((await api(url, "POST", path)).status).to.equal(401);
    const auth = { authorization: `Bearer ${TOKEN}` };
    // The alert stream: a client may hold 8; the change arrives on them as an `alert` event.
    const streams = await Promise.all(
      Array.from({ length: 8 }, () => fetch(`${url}/api/alerts/events`)),
    );
    expect(streams.map((r) => r.status)).to.deep.equal(Array(8).fill(200));
    expect((await fetch(`${url}/api/alerts/events`)).status).to.equal(429);
    const reader = streams[0]!.body!.getReader();
    const acked = await api<Alert>(url, "POST", path, undefined, auth);
    let text = "";
    while (!text.includes("event: alert")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    const data = JSON.parse(/event: alert\ndata: (.*)\n/.exec(text)![1]!) as {
      change: string;
      alert: Alert;
    };
    expect(data.change).to.equal("acknowledged");
    expect(data.alert.id).to.equal(target.id);
    await reader.cancel();
    await Promise.all(streams.slice(1).map((r) => r.body!.cancel()));
    expect(acked.status).to.equal(200);
    expect(acked.body.acknowledgedAt).to.be.a("number");
    const again = await api<Alert>(url, "POST", path, undefined, auth);
    expect(again.body.acknowledgedAt).to.equal(acked.body.acknowledgedAt);
    expect(
      (await api(url, "POST", "/api/alerts/999999/acknowledge", undefined, auth)).status,
    ).to.equal(404);
    expect(
      (await api(url, "POST", "/api/alerts/abc/acknowledge", undefined, auth)).status,
    ).to.equal(400);
    expect((await api(url, "GET", "/api/alerts?status=bogus")).status).to.equal(400);
    await until("the acknowledgement delivered", async () =>
      hooks(target.id, "/hook").some((h) => (h.body as HookBody).change === "acknowledged"),
    );
  });
});

describe("alerts: node agents killed mid-round", function () {
  this.timeout(600_000);
  const ids = ["alert-agent-a", "alert-agent-b", "alert-agent-c"];
  const keys = [HARDHAT_DEV_KEYS[5]!, HARDHAT_DEV_KEYS[6]!, HARDHAT_DEV_KEYS[7]!];
  const slices = ["synthetic:0-600", "synthetic:600-1200", "synthetic:1200-1800"];
  let receiver: WebhookReceiver;
  let stack: CoordinatorStack;
  let agents: Child[] = [];

  before(async () => {
    receiver = await startWebhookReceiver();
    stack = await startCoordinatorStack({
      dataDirPrefix: "fl-alerts-agents-",
      workers: 1,
      env: { ALERT_WEBHOOK_URLS: `${receiver.url}/hook`, ALERT_CHECK_MS: "200" },
      webhookSender: { pollMs: 100, baseDelayMs: 100 },
    });
    agents = await startAgents(stack.server.url, ids, keys, slices);
  });

  after(async () => {
    await Promise.all(agents.map((a) => a.kill("SIGKILL")));
    await stack?.server.close();
    await stack?.coord.close();
    await stack?.chain.stop();
    await receiver?.close();
  });

  it("two of three agents killed while training raise nodes-failing once; it clears when they are back", async () => {
    const url = stack.server.url;
    const created = await api<RunSummary>(url, "POST", "/api/runs", {
      ...base,
      nodeSource: "remote",
      numNodes: 3,
      rounds: 4,
      // Long enough local training (~1-3 s) that the agents die holding their round-2 task.
      localEpochs: 25,
      roundTimeoutMs: 4000,
      // Cleared by the first good round (the default waits 3: alert-center.test.ts).
      alerts: { clearAfterRounds: 1 },
    } satisfies CreateRunRequest);
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    const id = created.body.id;
    await until(
      "round 2 to start",
      async () =>
        (await api<{ round: number }[]>(url, "GET", `/api/runs/${id}/rounds`)).body.some(
          (r) => r.round === 2,
        ),
      60_000,
      25,
    );
    await Promise.all([agents[1]!.kill("SIGKILL"), agents[2]!.kill("SIGKILL")]);
    const [failing] = await until("nodes-failing raised", async () => {
      const list = (await api<AlertList>(url, "GET", `/api/alerts?run=${id}`)).body.alerts;
      const found = list.filter((a) => a.kind === "nodes-failing");
      return found.length > 0 && found;
    });
    expect(failing!.message).to.match(/Round 2: 2 of 3 chosen nodes failed/);
    expect(failing!.clearedAt).to.equal(null);
    // Back with the same keys: round 3 takes all three and the condition ends.
    agents.splice(1, 2, ...(await startAgents(url, ids.slice(1), keys.slice(1), slices.slice(1))));
    await finishedRun(url, id);
    const all = (await api<AlertList>(url, "GET", `/api/alerts?run=${id}`)).body.alerts;
    const failingAll = all.filter((a) => a.kind === "nodes-failing");
    expect(failingAll, "raised once").to.have.length(1);
    const rounds = (
      await api<{ round: number; finishedAt: number }[]>(url, "GET", `/api/runs/${id}/rounds`)
    ).body;
    const round3 = rounds.find((r) => r.round === 3)!;
    expect(failingAll[0]!.clearedAt, "cleared by round 3, before the run ended").to.be.at.most(
      round3.finishedAt + 5_000,
    );
    await until("raised and cleared at the webhook", async () => {
      const changes = receiver.received
        .map((h) => h.body as HookBody)
        .filter((b) => b.alert?.id === failingAll[0]!.id)
        .map((b) => b.change);
      return changes.includes("raised") && changes.includes("cleared");
    });
  });
});
