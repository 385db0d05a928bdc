// End-to-end: the real stack (hardhat node + Ignition deployment, the coordinator with the
// TensorFlow.js engine, the dashboard's Vite server) driven through Debian's headless Chromium with
// an injected EIP-1193 wallet backed by Hardhat dev keys. Nothing is mocked: every number the
// tests assert on is checked against the coordinator's API or read from the chain with viem.
//
// Screenshots land in test-artifacts/e2e/; with UPDATE_DOC_SCREENSHOTS=1 the page screenshots are
// also copied to frontend/docs/screenshots/ (the dashboard README shows them).
import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { createPublicClient, http, type Hex } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import type {
  CreateRunRequest,
  NodeSummary,
  RoundRecord,
  RunSummary,
} from "../../backend/src/domain/index.js";
import { contributionLedgerAbi, rewardTokenAbi } from "../../chain/generated/abis.js";
import { freePort, startLocalChain, type LocalChain } from "../helpers/local-chain.js";
import { launchChromium, CHROMIUM_PATH } from "./browser/chromium.js";
import { startDashboard, type DashboardServer } from "./browser/dashboard-server.js";
import { installInjectedWallet, type InjectedWallet } from "./browser/injected-wallet.js";
import { recordRpc, type RpcRecorder } from "./browser/rpc-recorder.js";
import { tempDir } from "../helpers/temp-dir.js";

const root = path.resolve(import.meta.dirname, "..", "..");
const artifacts = path.join(root, "test-artifacts", "e2e");
const docScreenshots = path.join(root, "frontend", "docs", "screenshots");
const MNEMONIC = "test test test test test test test test test test test junk";
const devAccount = (i: number) => mnemonicToAccount(MNEMONIC, { addressIndex: i });

/** Thrown inside `until` to stop waiting at once (the awaited thing can no longer happen). */
class GiveUp extends Error {}

async function until<T>(what: string, f: () => Promise<T | undefined | false>, ms = 60_000) {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    const v = await f().catch((err: unknown) => {
      if (err instanceof GiveUp) throw new Error(`while waiting for ${what}: ${err.message}`);
      last = err;
      return undefined;
    });
    if (v) return v;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function shot(page: Page, name: string, settleMs = 600): Promise<void> {
  mkdirSync(artifacts, { recursive: true });
  if (settleMs) await page.waitForTimeout(settleMs);
  await page.mouse.move(0, 0); // no hover highlight on whatever the last click left it over
  // The header is sticky: a full-page shot of a scrolled page would paint it mid-page.
  await page.evaluate("window.scrollTo(0, 0)");
  await page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true });
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

async function rpc(url: string, method: string, params: unknown[] = []): Promise<unknown> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const body = (await res.json()) as { result?: unknown; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

const rowCount = (page: Page, table: string) =>
  page.locator(`[data-testid=${table}] tbody tr`).count();

interface Coordinator {
  url: string;
  proc: ChildProcess;
  output: string[];
  stop(): Promise<void>;
}

/** `npm run coordinator` as a child process, on its own port and data directory. */
async function startCoordinator(chain: LocalChain): Promise<Coordinator> {
  const port = await freePort();
  const output: string[] = [];
  const proc = spawn(process.execPath, ["--import", "tsx", "backend/src/main.ts"], {
    cwd: root,
    env: {
      ...process.env,
      COORDINATOR_PORT: String(port),
      CHAIN_RPC_URL: chain.rpcUrl,
      DEPLOYMENT_FILE: chain.deploymentFile,
      DATA_DIR: tempDir("fl-e2e-"),
      TRAINING_WORKERS: "2",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  proc.stdout?.on("data", (b: Buffer) => output.push(b.toString()));
  proc.stderr?.on("data", (b: Buffer) => output.push(b.toString()));
  const url = `http://127.0.0.1:${port}`;
  await until(
    "the coordinator to be healthy",
    async () => {
      if (proc.exitCode !== null)
        throw new Error(`coordinator exited: ${output.join("").slice(-2000)}`);
      const res = await fetch(`${url}/api/health`);
      return res.ok && ((await res.json()) as { status: string }).status === "ok";
    },
    90_000,
  ).catch((err: unknown) => {
    proc.kill("SIGKILL");
    throw new Error(`${(err as Error).message}\n${output.join("").slice(-2000)}`, { cause: err });
  });
  return {
    url,
    proc,
    output,
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((r) => proc.once("exit", r));
      proc.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
    },
  };
}

/**
 * Watches the Training page from inside the browser: every distinct number of rows in the rounds
 * table and every "Round n of N" the live progress showed, in order. A MutationObserver sees each
 * render, so nothing is missed between two polls of the test. (Source text, not a function:
 * tsx would add helpers that do not exist in the page.)
 */
const WATCH_TRAINING = `(() => {
  const seen = (window.__trainingSeen = { rows: [], live: [], batches: false });
  const record = () => {
    const rows = document.querySelectorAll("[data-testid=rounds-table] tbody tr").length;
    if (seen.rows[seen.rows.length - 1] !== rows) seen.rows.push(rows);
    const round = document.querySelector("[data-testid=live-round] .progress-label");
    const label = round ? round.textContent : "";
    if (label && !seen.live.includes(label)) seen.live.push(label);
    for (const d of document.querySelectorAll("[data-testid=live-round] .progress-detail"))
      if (/batch \\d+\\/\\d+/.test(d.textContent)) seen.batches = true;
  };
  new MutationObserver(record).observe(document.body, {
    childList: true,
    subtree: true,
    characterData: true,
  });
  record();
})()`;

interface TrainingSeen {
  /** Distinct row counts of the rounds table, in order. */
  rows: number[];
  /** Labels of the current round's progress bar ("Round 1 of 3"...), in order. */
  live: string[];
  /** A node's progress showed a batch count (node-progress events arrived). */
  batches: boolean;
}

const chromiumThere = existsSync(CHROMIUM_PATH);

describe("dashboard (headless Chromium)", function () {
  this.timeout(300_000);
  let chain: LocalChain;
  let browser: Browser;
  let client: ReturnType<typeof createPublicClient>;

  before(async function () {
    if (!chromiumThere) this.skip();
    // Screenshots of this run only (a stale failed-*.png would mislead).
    if (existsSync(artifacts))
      for (const f of readdirSync(artifacts))
        if (f.endsWith(".png")) rmSync(path.join(artifacts, f));
    chain = await startLocalChain();
    client = createPublicClient({ transport: http(chain.rpcUrl) });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await chain?.stop();
  });

  describe("without the coordinator", () => {
    let dashboard: DashboardServer;
    let page: Page;
    let wallet: InjectedWallet;
    let rpcCalls: RpcRecorder;

    before(async () => {
      dashboard = await startDashboard({
        port: await freePort(),
        coordinatorUrl: `http://127.0.0.1:${await freePort()}`, // nothing listens there
        chainRpcUrl: chain.rpcUrl,
        deploymentFile: chain.deploymentFile,
      });
      page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
      rpcCalls = recordRpc(page);
      // The wallet starts on Sepolia so the dashboard has to offer the switch.
      wallet = await installInjectedWallet(page, {
        account: devAccount(5),
        rpcUrl: chain.rpcUrl,
        chainId: 11155111,
        knownChainIds: [31337, 11155111],
      });
    });

    afterEach(async function () {
      if (this.currentTest?.state === "failed")
        await shot(page, `failed-${this.currentTest.title.slice(0, 40)}`);
    });

    after(async () => {
      await page?.close();
      await dashboard?.close();
    });

    it("says the coordinator is down and what to do", async () => {
      await page.goto(`${dashboard.url}/#/`);
      const notice = page.getByTestId("notice-error").first();
      await notice.waitFor();
      expect(await notice.textContent()).to.contain("npm start");
      await page.getByText("Coordinator down").first().waitFor();
      await shot(page, "coordinator-down-overview");
    });

    it("connects the injected wallet, detects the wrong network and switches in one click", async () => {
      await page.goto(`${dashboard.url}/#/rewards`);
      await page.getByTestId("connect-wallet").first().click();
      await page.getByTestId("wallet-address").waitFor();
      const switcher = page.getByTestId("switch-network");
      await switcher.waitFor();
      await switcher.click();
      await switcher.waitFor({ state: "detached" });
      expect(wallet.chainId).to.equal(31337);
      expect(wallet.calls).to.include("wallet_switchEthereumChain");
    });

    it("reads the wallet's rewards from the chain and shows that nothing is claimable", async () => {
      await page.getByText("Nothing to claim yet").waitFor();
      expect(await page.getByTestId("rewards-claimable").getAttribute("data-wei")).to.equal("0");
      expect(await page.getByTestId("rewards-balance").getAttribute("data-wei")).to.equal("0");
      expect(await page.getByTestId("claim-button").isDisabled()).to.equal(true);
      // The chain the page reads is the test's chain (deployment block and all), through the RPC
      // URL the dashboard was started with, and no other (a developer's chain on :8545 has the
      // same deterministic contract addresses, so reading it would look almost right).
      const head = await client.getBlockNumber();
      const shown = BigInt(
        await until("the header's block number", () =>
          page.getByTestId("chain-status").getAttribute("data-block"),
        ),
      );
      expect(shown >= head - 1n && shown <= head).to.equal(
        true,
        `header #${shown}, chain #${head}`,
      );
      expect(rpcCalls.strayOrigins(chain.rpcUrl)).to.deep.equal([]);
      expect(rpcCalls.methods(chain.rpcUrl)).to.include("eth_call");
      expect(await page.getByTestId("contracts-missing").count()).to.equal(0);
      await shot(page, "rewards-nothing-claimable");
    });

    it("says what is wrong when the chain it reads does not have the deployment's contracts", async () => {
      // A deployment file that does not match the chain (as after restarting `hardhat node`
      // without redeploying): two dev accounts, which have no code, stand in for the contracts.
      const stale = structuredClone(chain.deployment);
      stale.contracts.ContributionLedger.address = devAccount(18).address;
      stale.contracts.RewardToken.address = devAccount(19).address;
      const file = path.join(tempDir("fl-stale-"), "31337.json");
      writeFileSync(file, JSON.stringify(stale));
      const other = await startDashboard({
        port: await freePort(),
        coordinatorUrl: `http://127.0.0.1:${await freePort()}`,
        chainRpcUrl: chain.rpcUrl,
        deploymentFile: file,
      });
      const p = await browser.newPage({ viewport: { width: 1360, height: 900 } });
      try {
        await p.goto(`${other.url}/#/ledger`);
        const banner = p.getByTestId("contracts-missing");
        await banner.waitFor();
        expect(await banner.textContent())
          .to.contain(stale.contracts.ContributionLedger.address)
          .and.contain(chain.rpcUrl)
          .and.contain("DEPLOYMENT_FILE");
        await shot(p, "contracts-missing");
      } finally {
        await p.close();
        await other.close();
      }
    });
  });

  describe("on the real stack", function () {
    // Each step builds on the previous one (the run, then its ledger, nodes and claim).
    this.bail(true);
    let coordinator: Coordinator;
    let dashboard: DashboardServer;
    let page: Page;
    let wallet: InjectedWallet;
    let rpcCalls: RpcRecorder;
    const ledgerAddress = () => chain.deployment.contracts.ContributionLedger.address as Hex;
    const tokenAddress = () => chain.deployment.contracts.RewardToken.address as Hex;
    /** The run started from the UI, and a second one started through the API for the filters. */
    let uiRun: RunSummary;
    let apiRun: RunSummary;
    let claimedWei = 0n;

    const api = <T>(p: string) => getJson<T>(`${coordinator.url}/api${p}`);

    /** ContributionRecorded events straight from the chain, to check the page against. */
    async function chainContributions() {
      return client.getContractEvents({
        address: ledgerAddress(),
        abi: contributionLedgerAbi,
        eventName: "ContributionRecorded",
        fromBlock: 0n,
      });
    }

    async function recorded(runId: string, rounds: number): Promise<RoundRecord[]> {
      return until(
        `run ${runId} to complete with every round on chain`,
        async () => {
          const run = await api<RunSummary>(`/runs/${runId}`);
          if (run.status === "failed") throw new GiveUp(`the run failed: ${run.error}`);
          if (run.status !== "completed") return undefined;
          const list = await api<RoundRecord[]>(`/runs/${runId}/rounds`);
          return list.length === rounds && list.every((r) => r.txHash) && list;
        },
        120_000,
      );
    }

    before(async () => {
      coordinator = await startCoordinator(chain);
      dashboard = await startDashboard({
        port: await freePort(),
        coordinatorUrl: coordinator.url,
        chainRpcUrl: chain.rpcUrl,
        deploymentFile: chain.deploymentFile,
      });
      page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
      rpcCalls = recordRpc(page);
      wallet = await installInjectedWallet(page, { account: devAccount(1), rpcUrl: chain.rpcUrl });
    });

    afterEach(async function () {
      if (this.currentTest?.state === "failed") {
        await shot(page, `failed-${this.currentTest.title.slice(0, 40)}`, 0);
        console.log(coordinator?.output.join("").slice(-3000));
      }
    });

    after(async () => {
      await rpc(chain.rpcUrl, "evm_setAutomine", [true]).catch(() => undefined);
      await page?.close();
      await dashboard?.close();
      await coordinator?.stop();
    });

    it("shows a healthy stack on the overview", async () => {
      await page.goto(`${dashboard.url}/#/`);
      await page.getByText("Coordinator", { exact: true }).first().waitFor();
      await until(
        "a healthy header",
        async () =>
          !(await page.getByTestId("header-status").textContent())?.includes("down") &&
          (await page.getByTestId("chain-status").getAttribute("data-block")) !== null,
      );
      const chainCard = page.getByRole("region", { name: "Chain" });
      await chainCard.getByText("ok", { exact: true }).waitFor();
      expect(await chainCard.textContent())
        .to.contain("Hardhat")
        .and.contain("31337");
      const engine = await page.getByTestId("engine-facts").textContent();
      const health = await api<{ engine: { backend: string } }>("/health");
      expect(engine).to.contain("Backend").and.contain(health.engine.backend);
      expect(await page.getByTestId("total-runs").textContent()).to.equal("0");
      await shot(page, "overview-empty");
    });

    it("starts a small run from the UI and sees its rounds arrive live", async () => {
      await page.goto(`${dashboard.url}/#/training`);
      await page.getByLabel("Preset").selectOption("quick-demo");
      await page.getByLabel("Run name").fill("E2E 2NN on synthetic");
      await page.getByLabel("Dataset").selectOption("synthetic");
      await page.getByLabel("Model", { exact: true }).selectOption("2nn");
      await page.getByLabel("Nodes", { exact: true }).fill("3");
      await page.getByLabel("Rounds", { exact: true }).fill("3");
      await shot(page, "run-form", 0);
      await page.evaluate(WATCH_TRAINING);
      await page.getByTestId("start-run").click();

      const view = page.getByTestId("run-view");
      await view.waitFor();
      const runId = (await view.getAttribute("data-run-id")) ?? "";
      expect(runId).to.match(/^run-[0-9a-f]{10}$/);
      uiRun = await api<RunSummary>(`/runs/${runId}`);
      expect(uiRun.config).to.include({ dataset: "synthetic", model: "2nn", numNodes: 3 });
      expect(uiRun.totalRounds).to.equal(3);

      const failed = async () => {
        const run = await api<RunSummary>(`/runs/${runId}`);
        if (run.status === "failed") throw new GiveUp(`the run failed: ${run.error}`);
      };
      await until(
        "the first round in the table",
        async () => (await failed(), (await rowCount(page, "rounds-table")) >= 1),
        120_000,
      );
      await shot(page, "training-live", 0);
      await until(
        "3 rounds in the table",
        async () => (await failed(), (await rowCount(page, "rounds-table")) === 3),
        120_000,
      );
      await page.locator("[data-testid=run-view] h2 .badge[data-status=completed]").waitFor();

      // Live: the rounds arrived one by one, and the per-round progress followed them.
      const seen = (await page.evaluate("window.__trainingSeen")) as TrainingSeen;
      const arrivals = seen.rows
        .filter((n) => n > 0)
        .filter((n, i, nonEmpty) => n !== nonEmpty[i - 1]);
      expect(arrivals, `rounds table sizes ${seen.rows.join(" → ")}`).to.deep.equal([1, 2, 3]);
      expect(seen.live).to.deep.equal(["Round 1 of 3", "Round 2 of 3", "Round 3 of 3"]);
      expect(seen.batches, "per-node batch progress").to.equal(true);

      // Every round is recorded on chain; the table shows the coordinator's numbers and tx hashes.
      const rounds = await recorded(runId, 3);
      await until(
        "a transaction link for every round",
        async () =>
          (await page.locator("[data-testid=rounds-table] tbody tr td:last-child a").count()) === 3,
      );
      const cells = await page
        .locator("[data-testid=rounds-table] tbody tr")
        .evaluateAll((trs) =>
          trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent ?? "")),
        );
      for (const r of rounds) {
        const row = cells.find((c) => c[0] === String(r.round));
        expect(row, `round ${r.round} row`).to.not.equal(undefined);
        expect(row![1]).to.equal(`${(r.testAccuracy! * 100).toFixed(2)}%`);
        expect(row![3]).to.equal(String(r.updates.filter((u) => u.accepted).length));
        // Uncompressed: every upload and download is one raw float32 model.
        expect(row![5]).to.match(/\(1×\) \/ .*\(1×\)$/);
        expect(row![7]).to.equal(`${r.txHash!.slice(0, 10)}…${r.txHash!.slice(-6)}`);
      }
      expect(await page.locator("figure[aria-label='Test accuracy'] circle").count()).to.equal(3);
      expect(await page.locator("figure[aria-label='Test loss'] circle").count()).to.equal(3);
      expect(await view.textContent()).to.contain("3 / 3 rounds");
      const log = (await page.getByTestId("run-log").textContent()) ?? "";
      for (const n of [1, 2, 3]) {
        expect(log).to.contain(`Round ${n} aggregated`);
        expect(log).to.contain(`Round ${n} recorded on chain`);
      }
      await shot(page, "training");
    });

    it("shows contributions read from the chain on the Ledger page, filtered by run", async () => {
      // A second, smaller run (through the API) so that the run filter has something to filter.
      const req: CreateRunRequest = {
        name: "E2E second run",
        dataset: "synthetic",
        model: "logreg",
        partition: { kind: "iid" },
        numNodes: 2,
        fraction: 1,
        rounds: 1,
        localEpochs: 1,
        batchSize: 32,
        learningRate: 0.1,
        strategy: { name: "fedavg" },
        // With DP, so the Training page has a privacy budget to show (next test).
        privacy: { clipNorm: 1, noiseMultiplier: 0.1, delta: 1e-5 },
        seed: 2,
      };
      const res = await fetch(`${coordinator.url}/api/runs`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(req),
      });
      expect(res.status, await res.clone().text()).to.equal(201);
      apiRun = (await res.json()) as RunSummary;
      await recorded(apiRun.id, 1);

      const events = await chainContributions();
      expect(events).to.have.length(3 * 3 + 2);
      const onChain = (run: RunSummary) => {
        const mine = events.filter((e) => e.args.runId?.toLowerCase() === run.chainRunId);
        return { count: mine.length, total: mine.reduce((s, e) => s + e.args.reward!, 0n) };
      };

      await page.goto(`${dashboard.url}/#/ledger`);
      await until(
        "every contribution on the ledger",
        async () => (await rowCount(page, "ledger-table")) === 11,
      );
      expect(await page.getByTestId("ledger-total").getAttribute("data-wei")).to.equal(
        events.reduce((s, e) => s + e.args.reward!, 0n).toString(),
      );

      for (const run of [apiRun, uiRun]) {
        await page.getByTestId("filter-run").selectOption(run.chainRunId!);
        const want = onChain(run);
        await until(
          `only ${run.name} in the table`,
          async () => (await rowCount(page, "ledger-table")) === want.count,
        );
        const runColumn = await page
          .locator("[data-testid=ledger-table] tbody tr td:first-child")
          .allTextContents();
        expect(new Set(runColumn)).to.deep.equal(new Set([run.name]));
        expect(await page.getByTestId("ledger-total").getAttribute("data-wei")).to.equal(
          want.total.toString(),
        );
        expect(await page.getByTestId("ledger-count").textContent()).to.equal(String(want.count));
        expect(page.url()).to.contain(`run=${run.chainRunId}`);
        // The audit re-derived in the browser passes, and the coordinator's store agrees.
        await until("the audit to pass", async () => {
          const checks = await page
            .locator("[data-testid=audit-checks] li")
            .evaluateAll((els) => els.map((e) => e.className));
          // The shared audit's checks (backend/src/audit/ledger-audit.ts: run registered,
          // formula, round totals, minted, supply, ledger balance, store totals, ...): all ok.
          return checks.length >= 3 && checks.every((c) => c === "ok");
        });
        await page.getByTestId("run-policy").waitFor();
      }
      // The events came from the chain the test started, read by the page itself.
      expect(rpcCalls.methods(chain.rpcUrl)).to.include("eth_getLogs");
      expect(rpcCalls.strayOrigins(chain.rpcUrl)).to.deep.equal([]);
      await shot(page, "ledger");
    });

    it("re-executes a round in the browser from the run's artifacts and verifies every contribution", async () => {
      await page.goto(`${dashboard.url}/#/ledger`);
      await page.getByTestId("filter-run").selectOption(uiRun.chainRunId!);
      await page.getByTestId("reexec-start").click();
      const result = page.getByTestId("reexec-result");
      await result.waitFor({ timeout: 180_000 });
      const statuses = await result
        .locator("tbody tr")
        .evaluateAll((els) => els.map((e) => e.getAttribute("data-status")));
      expect(statuses.length).to.be.greaterThan(0);
      expect(new Set(statuses), (await result.textContent()) ?? "").to.deep.equal(
        new Set(["verified"]),
      );
      expect(await result.getAttribute("data-ok")).to.equal("true");
      await shot(page, "ledger-reexecution");
    });

    it("shows a DP run's privacy budget as the coordinator's accountant reports it", async () => {
      const run = await api<RunSummary>(`/runs/${apiRun.id}`);
      expect(run.privacy, "the API's privacy report").to.not.equal(null);
      const epsilon = run.privacy!.epsilon!;
      expect(epsilon).to.be.greaterThan(0);
      await page.goto(`${dashboard.url}/#/training?run=${apiRun.id}`);
      const shown = page.getByTestId("privacy-epsilon");
      await shown.waitFor();
      // Three significant digits of the accountant's epsilon at the run's delta.
      expect(Number(await shown.textContent())).to.equal(Number(epsilon.toPrecision(3)));
      expect(Number(await page.getByTestId("privacy-rounds").textContent())).to.equal(1);
      expect(await page.getByTestId("run-dp").textContent()).to.contain("noise multiplier 0.1");
      await shot(page, "training-privacy");
    });

    it("shows the nodes, their label histograms and the leaderboard", async () => {
      const nodes = await api<NodeSummary[]>("/nodes");
      const runNodes = await api<{ nodeId: string; samples: number; histogram: number[] }[]>(
        `/runs/${uiRun.id}/nodes`,
      );
      expect(nodes.map((n) => n.id).sort()).to.deep.equal(["sim-1", "sim-2", "sim-3"]);

      await page.goto(`${dashboard.url}/#/nodes?run=${uiRun.id}`);
      await page.getByTestId("leaderboard").waitFor();
      await until(
        "every node in the table",
        async () => (await rowCount(page, "nodes-table")) === 3,
      );
      const byReward = [...nodes].sort((a, b) =>
        BigInt(b.totals.rewardWei) > BigInt(a.totals.rewardWei) ? 1 : -1,
      );
      const ranked = await page
        .locator("[data-testid=leaderboard] li")
        .evaluateAll((lis) => lis.map((li) => li.querySelector(".strong")?.textContent ?? ""));
      expect(ranked).to.deep.equal(byReward.map((n) => n.id));

      const cards = page.locator("[data-testid=histograms] .histogram-card");
      await until("a histogram per node", async () => (await cards.count()) === 3);
      expect(await page.locator("[data-testid=histograms] svg").count()).to.equal(3);
      const samples = await cards.evaluateAll((els) =>
        els.map((el) => el.querySelector(".small")?.textContent ?? ""),
      );
      expect(samples).to.deep.equal(
        runNodes.map((n) => `${n.samples.toLocaleString("en-US")} samples`),
      );
      for (const n of runNodes) expect(n.histogram.reduce((s, c) => s + c, 0)).to.equal(n.samples);
      // What each node's update cost, per round (simulated nodes: time and bytes, measured here).
      await until(
        "the per-round resources",
        async () => (await rowCount(page, "round-resources")) >= 3,
      );
      await shot(page, "nodes");
    });

    it("counts an active alert in the header and acknowledges it on the Alerts page", async () => {
      const post = async (p: string, body?: unknown) => {
        const res = await fetch(`${coordinator.url}/api${p}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        expect(res.status, await res.clone().text()).to.be.oneOf([200, 201]);
        return (await res.json()) as { id: string };
      };
      // Softmax regression on Fashion-MNIST at learning rate 10 diverges in its first round.
      const run = await post("/runs", {
        dataset: "fashion-mnist",
        trainLimit: 1000,
        model: "logreg",
        partition: { kind: "iid" },
        numNodes: 3,
        fraction: 1,
        rounds: 50,
        localEpochs: 2,
        batchSize: 10,
        learningRate: 10,
        strategy: { name: "fedavg" },
        seed: 4,
      });
      interface Listed {
        alerts: { id: number; kind: string; clearedAt: number | null }[];
      }
      const [alert] = await until("loss-diverging raised", async () => {
        const l = await api<Listed>(`/alerts?run=${run.id}&status=active`);
        const found = l.alerts.filter((a) => a.kind === "loss-diverging");
        return found.length > 0 && found;
      });
      // Paused, the run keeps its alert active (a finished run's round alerts are cleared).
      await post(`/runs/${run.id}/pause`);
      await page.goto(`${dashboard.url}/#/alerts?status=unacknowledged`);
      const badge = page.getByTestId("alert-badge");
      await badge.waitFor();
      // Whatever else the diverging run raised (an accuracy drop, say) is counted too.
      const unacknowledged = async () =>
        (await api<{ counts: { unacknowledged: number } }>("/alerts")).counts.unacknowledged;
      const before = await unacknowledged();
      await until(
        "the badge's count",
        async () => (await badge.textContent())?.includes(`${before} alert`) ?? false,
      );
      const row = page.getByTestId("alert-row").filter({ hasText: "loss-diverging" });
      await row.waitFor();
      expect(await row.textContent()).to.contain("lower learning rate");
      await shot(page, "alerts");
      await page.getByTestId(`acknowledge-${alert!.id}`).click();
      await until("the acknowledgement", async () => {
        const l = await api<{ alerts: { id: number; acknowledgedAt: number | null }[] }>(
          `/alerts?run=${run.id}`,
        );
        return l.alerts.find((a) => a.id === alert!.id)?.acknowledgedAt !== null;
      });
      expect(await unacknowledged()).to.equal(before - 1);
      if (before === 1) await badge.waitFor({ state: "hidden" });
      else
        await until(
          "the badge counting one less",
          async () => (await badge.textContent())?.includes(`${before - 1} alert`) ?? false,
        );
      await row.waitFor({ state: "detached" });
      // Stopped, the run ends and its alert is cleared.
      await post(`/runs/${run.id}/stop`);
      await until("the alert cleared", async () => {
        const l = await api<Listed>(`/alerts?run=${run.id}`);
        return l.alerts.find((a) => a.id === alert!.id)?.clearedAt !== null;
      });
    });

    it("claims as a node from the injected wallet: pending, confirmed, balance changed on chain", async () => {
      // Claim as the node that earned the most; simulated node k is Hardhat dev account k.
      const nodes = await api<NodeSummary[]>("/nodes");
      const best = [...nodes].sort((a, b) =>
        BigInt(b.totals.rewardWei) > BigInt(a.totals.rewardWei) ? 1 : -1,
      )[0]!;
      const index = Number(best.id.replace(/^sim-/, ""));
      wallet.account = devAccount(index);
      expect(wallet.account.address.toLowerCase()).to.equal(best.wallet.toLowerCase());

      const balance = () =>
        client.readContract({
          address: tokenAddress(),
          abi: rewardTokenAbi,
          functionName: "balanceOf",
          args: [wallet.account.address],
        });
      const onChainClaimable = () =>
        client.readContract({
          address: ledgerAddress(),
          abi: contributionLedgerAbi,
          functionName: "claimable",
          args: [wallet.account.address],
        });
      const before = await balance();
      // A run stopped by the previous test may still have a round on its way to the chain: wait
      // until the chain holds what the API lists for this node.
      let listed = best;
      const owed = await until("the chain to hold the node's listed rewards", async () => {
        listed = (await api<NodeSummary[]>("/nodes")).find((n) => n.id === best.id)!;
        const onChain = await onChainClaimable();
        return onChain === BigInt(listed.totals.rewardWei) && onChain;
      });
      expect(owed > 0n).to.equal(true);

      await page.goto(`${dashboard.url}/#/rewards`);
      await page.getByTestId("connect-wallet").first().click();
      await page.getByTestId("wallet-address").waitFor();
      const claimable = BigInt(
        await until("a claimable amount", async () => {
          const wei = await page.getByTestId("rewards-claimable").getAttribute("data-wei");
          return wei && wei !== "0" ? wei : undefined;
        }),
      );
      expect(claimable).to.equal(owed);
      await until(
        "the wallet's contributions",
        async () => (await rowCount(page, "my-contributions")) === listed.totals.contributions,
      );

      // First the user says no in the wallet: a friendly message, nothing sent.
      wallet.rejectNext = true;
      await page.getByTestId("claim-button").click();
      await page.locator("[data-testid=claim-status][data-phase=failed]").waitFor();
      expect(await page.getByTestId("claim-status").textContent()).to.contain("You rejected");
      expect(await balance()).to.equal(before);

      // Then the claim is sent, and stays pending until a block includes it.
      await rpc(chain.rpcUrl, "evm_setAutomine", [false]);
      try {
        await page.getByTestId("claim-button").click();
        await page.locator("[data-testid=claim-status][data-phase=pending]").waitFor();
        expect(await page.getByTestId("claim-button").textContent()).to.equal("Claiming…");
        await shot(page, "rewards-pending", 0);
        expect(await balance()).to.equal(before);
        await rpc(chain.rpcUrl, "evm_mine");
      } finally {
        await rpc(chain.rpcUrl, "evm_setAutomine", [true]);
      }
      await page
        .locator("[data-testid=claim-status][data-phase=confirmed]")
        .waitFor({ timeout: 60_000 });
      expect(await balance()).to.equal(before + claimable);
      expect(await onChainClaimable()).to.equal(0n);
      claimedWei = claimable;

      // The card and the claims list refresh from the chain.
      await until(
        "the card to refresh",
        async () => (await page.getByTestId("rewards-claimable").getAttribute("data-wei")) === "0",
      );
      expect(await page.getByTestId("rewards-balance").getAttribute("data-wei")).to.equal(
        (before + claimable).toString(),
      );
      await until("the claim in My claims", async () => (await rowCount(page, "my-claims")) === 1);
      const head = await client.getBlockNumber();
      await until(
        "the header to show the claim's block",
        async () =>
          BigInt((await page.getByTestId("chain-status").getAttribute("data-block")) ?? "0") >=
          head,
      );
      await shot(page, "rewards");
    });

    it("sums everything up on the overview", async () => {
      const events = await chainContributions();
      await page.goto(`${dashboard.url}/#/`);
      await until(
        "the totals",
        async () => (await page.getByTestId("total-runs").textContent()) === "3",
      );
      await until(
        "the chain's contributions",
        async () =>
          (await page.getByTestId("total-contributions").textContent()) === String(events.length),
      );
      expect(await page.getByTestId("total-rewarded").getAttribute("data-wei")).to.equal(
        events.reduce((s, e) => s + e.args.reward!, 0n).toString(),
      );
      await until(
        "the claim in the totals",
        async () =>
          (await page.getByTestId("total-claimed").getAttribute("data-wei")) ===
          claimedWei.toString(),
      );
      await page.getByTestId("active-run").waitFor();
      expect(rpcCalls.strayOrigins(chain.rpcUrl)).to.deep.equal([]);
      await shot(page, "overview");
    });

    after(function () {
      if (!process.env.UPDATE_DOC_SCREENSHOTS) return;
      for (const name of [
        "overview",
        "training",
        "training-privacy",
        "nodes",
        "alerts",
        "ledger",
        "rewards",
      ]) {
        const file = path.join(artifacts, `${name}.png`);
        if (existsSync(file)) copyFileSync(file, path.join(docScreenshots, `${name}.png`));
      }
    });
  });
});
