// End-to-end, results out (issue 19): the dashboard's export and chart downloads, the Compare page,
// saved presets and archiving, in Debian's headless Chromium against the real stack (a local chain,
// the coordinator with the TensorFlow.js engine, the Vite dev server). Every number asserted on is
// checked against the coordinator's API.
import { expect } from "chai";
import { existsSync, readFileSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import type { RunExport, RunSummary, SavedPreset } from "../../backend/src/domain/index.js";
import { finishedRun, startCoordinatorStack } from "../helpers/coordinator-stack.js";
import { api } from "../helpers/http.js";
import { freePort } from "../helpers/local-chain.js";
import { until } from "../helpers/until.js";
import { CHROMIUM_PATH, launchChromium } from "./browser/chromium.js";
import { startDashboard, type DashboardServer } from "./browser/dashboard-server.js";

const quick = (learningRate: number, name: string) => ({
  name,
  dataset: "synthetic",
  model: "logreg",
  partition: { kind: "iid" },
  numNodes: 3,
  fraction: 1,
  rounds: 3,
  localEpochs: 1,
  batchSize: 32,
  learningRate,
  strategy: { name: "fedavg" },
  seed: 2,
});

async function download(page: Page, click: () => Promise<void>) {
  const [d] = await Promise.all([page.waitForEvent("download"), click()]);
  const file = await d.path();
  return { name: d.suggestedFilename(), bytes: readFileSync(file) };
}

describe("results out in the dashboard (headless Chromium)", function () {
  this.timeout(400_000);
  let stack: Awaited<ReturnType<typeof startCoordinatorStack>>;
  let dashboard: DashboardServer;
  let browser: Browser;
  let page: Page;
  const ids: string[] = [];

  before(async function () {
    if (!existsSync(CHROMIUM_PATH)) this.skip();
    stack = await startCoordinatorStack({ dataDirPrefix: "fl-e2e-results-", workers: 1 });
    dashboard = await startDashboard({
      port: await freePort(),
      coordinatorUrl: stack.server.url,
      chainRpcUrl: stack.chain.rpcUrl,
      deploymentFile: stack.chain.deploymentFile,
    });
    for (const [lr, name] of [
      [0.1, "lr 0.1"],
      [0.02, "lr 0.02"],
    ] as const) {
      const r = await api<RunSummary>(stack.server.url, "POST", "/api/runs", quick(lr, name));
      expect(r.status).to.equal(201);
      ids.push(r.body.id);
      await finishedRun(stack.server.url, r.body.id);
    }
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1360, height: 900 }, acceptDownloads: true });
    page.on("dialog", (d) => void d.accept());
  });

  after(async () => {
    await browser?.close();
    await dashboard?.close();
    await stack?.server.close();
    await stack?.coord.close();
    await stack?.chain.stop();
  });

  it("downloads a run's export (JSON and CSV) and its charts (SVG and PNG) from the Training page", async () => {
    await page.goto(`${dashboard.url}/#/training?run=${ids[0]}`);
    await page.locator("[data-testid=run-downloads]").waitFor();
    // The selector's chip shows the run's status as the card does.
    const chip = page.locator(`nav.run-tabs a[href*="${ids[0]}"] [data-status]`);
    expect(await chip.getAttribute("data-status")).to.equal("completed");

    const json = await download(page, () => page.click("[data-testid=export-json]"));
    expect(json.name).to.equal(`${ids[0]}.json`);
    const fromApi = (
      await api<RunExport>(stack.server.url, "GET", `/api/runs/${ids[0]}/export?format=json`)
    ).body;
    const file = JSON.parse(json.bytes.toString("utf8")) as RunExport;
    expect({ ...file, exportedAt: 0 }).to.deep.equal({ ...fromApi, exportedAt: 0 });

    const csv = await download(page, () => page.click("[data-testid=export-csv-rounds]"));
    expect(csv.name).to.equal(`${ids[0]}-rounds.csv`);
    expect(csv.bytes.toString("utf8").split("\r\n").filter(Boolean)).to.have.length(4);

    await page.locator("[data-testid=chart-svg]").first().waitFor();
    const svg = await download(page, () => page.locator("[data-testid=chart-svg]").first().click());
    expect(svg.name).to.equal(`${ids[0]}-test-accuracy.svg`);
    const text = svg.bytes.toString("utf8");
    expect(text).to.match(/^<\?xml/);
    expect(text).to.include('xmlns="http://www.w3.org/2000/svg"');
    expect(text).to.include("<polyline");
    expect(text).to.not.include("var(--"); // colours resolved: it looks right outside the page
    expect(text).to.match(/<polyline[^>]*stroke="rgb\(/);
    const png = await download(page, () => page.locator("[data-testid=chart-png]").first().click());
    expect(png.name).to.equal(`${ids[0]}-test-accuracy.png`);
    expect(png.bytes.subarray(0, 8).toString("hex")).to.equal("89504e470d0a1a0a");
  });

  it("compares two runs: curves by round and by wall time, the settings that differ, final metrics", async () => {
    await page.goto(`${dashboard.url}/#/compare`);
    // The picker re-renders as the runs list refreshes: a click that lands mid-render is lost,
    // so click until the box stays checked.
    for (const id of ids) {
      const box = page.locator(`[data-testid=compare-picker] input[data-run-id=${id}]`);
      await until(`run ${id} picked`, async () => {
        if (!(await box.isChecked())) await box.click();
        await new Promise((r) => setTimeout(r, 300));
        return box.isChecked();
      });
    }
    const charts = page.locator("[data-testid=compare-charts]");
    await charts.waitFor();
    expect(await charts.locator("svg").first().locator("g[data-series]").count()).to.equal(2);
    const settings = await page.locator("[data-testid=compare-settings]").innerText();
    expect(settings).to.include("learningRate").and.to.include("0.1").and.to.include("0.02");
    const metrics = await page.locator("[data-testid=compare-metrics]").innerText();
    for (const id of ids) {
      const run = (await api<RunSummary>(stack.server.url, "GET", `/api/runs/${id}`)).body;
      expect(metrics).to.include(`${(run.latest!.testAccuracy * 100).toFixed(2)}%`);
    }
    await page.check("[data-testid=axis-time]");
    await until("the wall-time axis", async () =>
      (await charts.innerText()).includes("Wall time (s)"),
    );
  });

  it("saves the form's settings as a preset, loads and deletes it; archives a run", async () => {
    await page.goto(`${dashboard.url}/#/training`);
    await page.click("[data-testid=new-run]");
    await page.fill("[data-testid=preset-name]", "my e2e preset");
    await page.click("[data-testid=save-preset]");
    const saved = await until("the preset in the store", async () => {
      const list = (await api<SavedPreset[]>(stack.server.url, "GET", "/api/presets")).body;
      return list.find((p) => p.name === "my e2e preset");
    });
    await until("the preset in the list", async () =>
      (await page.locator("[data-testid=saved-preset-select] option").allInnerTexts()).includes(
        "my e2e preset",
      ),
    );
    await page.selectOption("[data-testid=saved-preset-select]", saved.id);
    await page.click("[data-testid=load-preset]");
    await page.click("[data-testid=delete-preset]");
    await until("the preset deleted", async () => {
      const list = (await api<SavedPreset[]>(stack.server.url, "GET", "/api/presets")).body;
      return !list.some((p) => p.id === saved.id);
    });

    await page.goto(`${dashboard.url}/#/training?run=${ids[1]}`);
    await page.click("[data-testid=archive-run]");
    await until("the run archived", async () => {
      const list = (await api<RunSummary[]>(stack.server.url, "GET", "/api/runs")).body;
      return !list.some((r) => r.id === ids[1]);
    });
    const kept = await api(stack.server.url, "GET", `/api/runs/${ids[1]}/rounds`);
    expect(kept.status).to.equal(200);
  });
});
