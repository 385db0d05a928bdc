// End-to-end: the dashboard's Models section (issue 16) on the real stack (hardhat node with the
// contracts, the coordinator with the TensorFlow.js engine, the dashboard's Vite server) in
// Debian's headless Chromium. A small MNIST run finishes; the page's versions table is checked
// against the API, a version is downloaded for real (model.json, weights.bin, raw weights), the
// downloaded files are loaded with tf.loadLayersModel in the page and predict exactly what the
// same model predicts in Node, and "continue from this version" starts a warm-started run.
import { expect } from "chai";
import * as tf from "@tensorflow/tfjs";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { keccak256 } from "viem";
import type { RunSummary } from "../../backend/src/domain/index.js";
import { decodeValidation } from "../../backend/src/artifacts/run-spec.js";
import {
  startCoordinatorStack,
  finishedRun,
  type CoordinatorStack,
} from "../helpers/coordinator-stack.js";
import { api } from "../helpers/http.js";
import { freePort } from "../helpers/local-chain.js";
import { until } from "../helpers/until.js";
import { CHROMIUM_PATH, launchChromium } from "./browser/chromium.js";
import { startDashboard, type DashboardServer } from "./browser/dashboard-server.js";
import { tempDir } from "../helpers/temp-dir.js";

interface Version {
  round: number;
  hash: string;
  testAccuracy: number | null;
  txHash: string | null;
  bytes: number;
  stored: boolean;
  best: boolean;
}

const ROUNDS = 2;
const CHECKED = 200; // validation samples the page's check predicts (BrowserCheckPanel's default)

describe("dashboard Models section (headless Chromium)", function () {
  this.timeout(300_000);
  // Each step builds on the previous one (the run, its downloads, the run continued from it).
  this.bail(true);
  let stack: CoordinatorStack;
  let dashboard: DashboardServer;
  let browser: Browser;
  let page: Page;
  let run: RunSummary;
  let versions: Version[];
  const downloads = tempDir("fl-e2e-models-");
  const get = async <T>(p: string) => (await api<T>(stack.server.url, "GET", p)).body;

  before(async function () {
    if (!existsSync(CHROMIUM_PATH)) this.skip();
    stack = await startCoordinatorStack({ dataDirPrefix: "fl-e2e-models-" });
    const created = await api<RunSummary>(stack.server.url, "POST", "/api/runs", {
      name: "models e2e",
      dataset: "mnist",
      trainLimit: 1200,
      model: "2nn",
      partition: { kind: "iid" },
      numNodes: 3,
      fraction: 1,
      rounds: ROUNDS,
      localEpochs: 1,
      batchSize: 32,
      learningRate: 0.1,
      strategy: { name: "fedavg" },
    });
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    ({ run } = await finishedRun(stack.server.url, created.body.id));
    versions = await get<Version[]>(`/api/runs/${run.id}/models`);
    dashboard = await startDashboard({
      port: await freePort(),
      coordinatorUrl: stack.server.url,
      chainRpcUrl: stack.chain.rpcUrl,
      deploymentFile: stack.chain.deploymentFile,
    });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1360, height: 900 }, acceptDownloads: true });
    // The dev server optimizes and transforms on first load; on a busy shared machine that is slow.
    page.setDefaultNavigationTimeout(180_000);
    page.setDefaultTimeout(90_000);
  });

  after(async () => {
    await page?.close();
    await browser?.close();
    await dashboard?.close();
    await stack?.server.close();
    await stack?.coord.close();
    await stack?.chain.stop();
  });

  it("lists the run's versions as the API does, with the best marked and an accuracy sparkline", async () => {
    expect(versions.map((v) => v.round)).to.deep.equal([0, 1, 2]);
    await page.goto(`${dashboard.url}/#/training?run=${run.id}`);
    const rows = page.locator("[data-testid=model-versions] tbody tr");
    await until("the versions table", async () => (await rows.count()) === versions.length);
    const shown = await rows.evaluateAll((trs) =>
      trs.map((tr) => ({
        round: Number(tr.getAttribute("data-round")),
        hash: tr.getAttribute("data-hash"),
        stored: tr.getAttribute("data-stored") === "true",
        best: tr.querySelector("[data-testid=best-version]") !== null,
        text: tr.textContent ?? "",
      })),
    );
    expect(shown.map(({ text: _t, ...v }) => v)).to.deep.equal(
      [...versions]
        .reverse()
        .map((v) => ({ round: v.round, hash: v.hash, stored: v.stored, best: v.best })),
    );
    for (const v of versions.filter((x) => x.testAccuracy !== null)) {
      const text = shown.find((s) => s.round === v.round)!.text;
      expect(text).to.contain(`${(v.testAccuracy! * 100).toFixed(2)}%`);
      expect(text).to.contain(v.txHash!.slice(0, 10));
    }
    expect(versions.filter((v) => v.best)).to.have.length(1);
    const points = await page
      .locator("[data-testid=models-section] svg.sparkline")
      .getAttribute("data-points");
    expect(Number(points)).to.equal(ROUNDS);
  });

  it("shows the selected version's evaluation: per-class accuracy and the confusion matrix", async () => {
    const best = versions.find((v) => v.best)!;
    expect(await page.getAttribute("[data-testid=selected-version]", "data-round")).to.equal(
      String(best.round),
    );
    const evaluation = await get<{
      samples: number;
      confusion: number[][];
      perClassAccuracy: (number | null)[];
    }>(`/api/runs/${run.id}/models/${best.round}/evaluation`);
    const cells = page.locator("[data-testid=confusion-matrix] tbody td");
    await until("the confusion matrix", async () => (await cells.count()) === 100);
    const counts = (await cells.allTextContents()).map(Number);
    expect(counts).to.deep.equal(evaluation.confusion.flat());
    expect(counts.reduce((s, n) => s + n, 0)).to.equal(evaluation.samples);
    expect(await page.locator("[data-testid=per-class-accuracy] tbody tr").count()).to.equal(10);
  });

  it("downloads the version for real; the files load with tf.loadLayersModel in the page and predict like Node", async () => {
    const best = versions.find((v) => v.best)!;
    const save = async (testId: string, name: string) => {
      const [download] = await Promise.all([
        page.waitForEvent("download"),
        page.click(`[data-testid=${testId}]`),
      ]);
      const file = path.join(downloads, name);
      await download.saveAs(file);
      return file;
    };
    const modelJson = await save("download-model-json", "model.json");
    const weightsBin = await save("download-weights-bin", "weights.bin");
    const raw = await save("download-raw", "raw.f32");
    // The weights are the version's bytes: their keccak256 is the hash the chain records.
    expect(keccak256(readFileSync(raw))).to.equal(best.hash);
    expect(readFileSync(weightsBin).equals(readFileSync(raw))).to.equal(true);
    expect(JSON.parse(readFileSync(modelJson, "utf8"))).to.have.property("modelTopology");

    // The page loads the two downloaded files (tf.io.browserFiles) and predicts the validation split.
    await page.setInputFiles("[data-testid=check-from-files]", [modelJson, weightsBin]);
    const result = page.locator("[data-testid=browser-check-result]");
    await until("the in-page prediction", async () => (await result.count()) === 1, 120_000);
    const inPage = {
      correct: Number(await result.getAttribute("data-correct")),
      samples: Number(await result.getAttribute("data-samples")),
      logits: JSON.parse((await result.getAttribute("data-logits"))!) as number[],
    };

    // The same version loaded in Node from the coordinator's URL, on the same validation bytes.
    const model = await tf.loadLayersModel(
      `${stack.server.url}/api/runs/${run.id}/models/${best.round}/tfjs/model.json`,
    );
    const artifacts = await get<{ kind: string; hash: string }[]>(`/api/runs/${run.id}/artifacts`);
    const validationHash = artifacts.find((a) => a.kind === "validation")!.hash;
    const res = await fetch(`${stack.server.url}/api/artifacts/${validationHash}`);
    const { x, y } = decodeValidation(new Uint8Array(await res.arrayBuffer()));
    const logits = model.predict(
      tf.tensor4d(x.subarray(0, CHECKED * 784), [CHECKED, 28, 28, 1]),
    ) as tf.Tensor2D;
    const predicted = await logits.argMax(1).data();
    const values = await logits.data();
    let correct = 0;
    for (let i = 0; i < CHECKED; i++) if (predicted[i] === y[i]) correct++;
    expect(inPage.samples).to.equal(CHECKED);
    expect(inPage.logits).to.have.length(10);
    inPage.logits.forEach((l, i) => expect(Math.abs(l - values[i]!)).to.be.below(1e-3));
    expect(Math.abs(inPage.correct - correct)).to.be.at.most(1);
    // A trained model, not noise: well above chance on the validation split.
    expect(correct / CHECKED).to.be.greaterThan(0.5);

    // And straight from the coordinator's URL: the same predictions.
    await page.click("[data-testid=check-from-url]");
    await until(
      "the in-page prediction from the URL",
      async () => (await result.getAttribute("data-source")) === "url",
      120_000,
    );
    expect(JSON.parse((await result.getAttribute("data-logits"))!)).to.deep.equal(inPage.logits);
    expect(Number(await result.getAttribute("data-correct"))).to.equal(inPage.correct);
  });

  it("shows the artifact store's disk use on the overview as /api/health reports it", async () => {
    const health = await get<{ artifacts: { bytes: number } }>("/api/health");
    await page.goto(`${dashboard.url}/#/`);
    const usage = page.locator("[data-testid=artifacts-usage]");
    await until("the artifacts' disk use", async () => (await usage.count()) === 1);
    expect(Number(await usage.getAttribute("data-bytes"))).to.equal(health.artifacts.bytes);
    expect(health.artifacts.bytes).to.be.greaterThan(versions.reduce((s, v) => s + v.bytes, 0));
  });

  it("continues from a version: the run form opens prefilled and starts a warm-started run", async () => {
    await page.goto(`${dashboard.url}/#/training?run=${run.id}`);
    await page.click("[data-testid=model-versions] tbody tr[data-round='1']");
    await until(
      "version 1 selected",
      async () => (await page.getAttribute("[data-testid=selected-version]", "data-round")) === "1",
    );
    await page.click("[data-testid=continue-from-version]");
    await page.waitForSelector("[data-testid=continuing-from]");
    expect(await page.inputValue("input[name=initialRun]")).to.equal(run.id);
    expect(await page.inputValue("input[name=initialRound]")).to.equal("1");
    await page.click("[data-testid=start-run]");
    const warm = await until("the warm-started run", async () => {
      const runs = await get<RunSummary[]>("/api/runs");
      return runs.find((r) => r.config.initialModel && "run" in r.config.initialModel);
    });
    expect(warm.config.initialModel).to.deep.equal({
      run: run.id,
      round: 1,
      hash: versions.find((v) => v.round === 1)!.hash,
    });
    expect(warm.config).to.include({ dataset: "mnist", model: "2nn", numNodes: 3 });
    await until(
      "the page to show the new run",
      async () => (await page.getAttribute("[data-testid=run-view]", "data-run-id")) === warm.id,
    );
    // Once it has published its start model (version 0), stop it; its page then shows a version's
    // evaluation, and nothing is left in flight when the stack stops.
    await until("the warm run's start model", async () => {
      const vs = await get<Version[]>(`/api/runs/${warm.id}/models`);
      return vs.some((v) => v.round === 0 && v.stored);
    });
    const stop = await api(stack.server.url, "POST", `/api/runs/${warm.id}/stop`);
    expect(stop.status, JSON.stringify(stop.body)).to.equal(200);
    await until(
      "the warm run to stop",
      async () => (await get<RunSummary>(`/api/runs/${warm.id}`)).status === "stopped",
    );
    await page.goto(`${dashboard.url}/#/training?run=${warm.id}`);
    await page.reload();
    await page.waitForSelector("[data-testid=evaluation-summary]", { timeout: 120_000 });
    await page.goto("about:blank");
  });
});
