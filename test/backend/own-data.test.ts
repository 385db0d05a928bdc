// A user's own data and model, end to end on the real stack: a CSV table (Breast Cancer
// Wisconsin) trained by simulated nodes, with DP and with secure aggregation, and audited by
// re-execution; colour PNG image folders and table files on node agents (separate processes), each
// agent on its own folder or file, with a declared TF.js Layers model; agents whose data does not
// fit a run left out with what differs; and every kind of bad data refused with a 400 that says what
// to fix, before anything is stored.
import * as tf from "@tensorflow/tfjs";
import { expect } from "chai";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { generatePrivateKey } from "viem/accounts";
import type {
  ContributionRecord,
  CreateRunRequest,
  RunSummary,
} from "../../backend/src/domain/index.js";
import {
  finishedRun,
  runAudit,
  startCoordinatorStack,
  type CoordinatorStack,
} from "../helpers/coordinator-stack.js";
import { api } from "../helpers/http.js";
import { copyBreastCancer, writeShapeImages } from "../helpers/own-datasets.js";
import { startAgents, type Child } from "../helpers/processes.js";
import { tempDir } from "../helpers/temp-dir.js";

const table = {
  name: "breast-cancer-wisconsin",
  format: "csv",
  validation: "breast-cancer-wisconsin/validation.csv",
  test: "breast-cancer-wisconsin/test.csv",
  csv: { label: "diagnosis" },
} as const;

const tableRun: CreateRunRequest = {
  dataset: "own",
  data: { ...table, train: "breast-cancer-wisconsin/train.csv" },
  model: "2nn",
  partition: { kind: "dirichlet", alpha: 1 },
  numNodes: 4,
  fraction: 1,
  rounds: 3,
  localEpochs: 2,
  batchSize: 16,
  learningRate: 0.05,
  strategy: { name: "fedavg" },
  seed: 3,
};

/** A small conv net for 12×12 RGB images of 3 classes, as TF.js serialises it. */
function convTopology(): Record<string, unknown> {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [12, 12, 3], filters: 8, kernelSize: 3, activation: "relu" }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 3, activation: "softmax" }),
    ],
  });
  const json = model.toJSON(undefined, false) as Record<string, unknown>;
  model.dispose();
  return json;
}

describe("own data and own models (real chain, real engine, agents as processes)", function () {
  this.timeout(900_000);
  let stack: CoordinatorStack;
  let url: string;
  let dataRoot: string;
  let agents: Child[] = [];
  const imageIds = ["clinic-1", "clinic-2", "clinic-3"];
  const tableIds = ["hospital-a", "hospital-b", "hospital-c"];

  before(async () => {
    dataRoot = tempDir("fl-own-data-");
    copyBreastCancer(dataRoot);
    const shapes = path.join(dataRoot, "shapes");
    writeShapeImages(path.join(shapes, "validation"), ["red", "green", "blue"], 20, 1);
    writeShapeImages(path.join(shapes, "test"), ["red", "green", "blue"], 30, 2);
    // Node agents' folders live outside the coordinator's data root: they are theirs.
    const sites = tempDir("fl-own-sites-");
    writeShapeImages(path.join(sites, "clinic-1"), ["red", "green", "blue"], 24, 11);
    writeShapeImages(path.join(sites, "clinic-2"), ["red", "green", "blue"], 24, 12);
    writeShapeImages(path.join(sites, "clinic-3"), ["red", "green"], 30, 13);
    writeShapeImages(path.join(sites, "odd-one"), ["red", "purple"], 10, 14);
    stack = await startCoordinatorStack({
      dataDirPrefix: "fl-own-store-",
      workers: 1,
      env: { FEDLEDGER_DATA_ROOT: dataRoot },
    });
    url = stack.server.url;
    const tables = path.join(dataRoot, "breast-cancer-wisconsin", "sites");
    const ids = [...imageIds, ...tableIds, "odd-one"];
    const data = [
      ...imageIds.map((id) => path.join(sites, id)),
      ...["site-a", "site-b", "site-c"].map((s) => path.join(tables, `${s}.csv`)),
      path.join(sites, "odd-one"),
    ];
    agents = await startAgents(
      url,
      ids,
      ids.map(() => generatePrivateKey()),
      data,
      ["--label", "diagnosis"],
    );
  });

  after(async () => {
    await Promise.all(agents.map((a) => a.kill("SIGKILL")));
    await stack?.server.close();
    await stack?.coord.close();
    await stack?.chain.stop();
  });

  it("trains simulated nodes on a CSV table; the spec stores the encoding; the audit re-executes it", async () => {
    const created = await api<RunSummary & { config: CreateRunRequest }>(
      url,
      "POST",
      "/api/runs",
      tableRun,
    );
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    const resolved = created.body.config.data!.resolved!;
    expect(resolved.inputShape).to.deep.equal([30]);
    expect(resolved.classNames).to.deep.equal(["benign", "malignant"]);
    expect(resolved.samples).to.deep.equal({ train: 370, validation: 85, test: 114 });
    const radius = resolved.csv!.features[0]!;
    expect(radius.name).to.equal("radius_mean");
    expect(radius.kind === "numeric" && radius.std > 0).to.equal(true);
    const { rounds } = await finishedRun(url, created.body.id);
    expect(rounds).to.have.length(3);
    expect(rounds[2]!.testAccuracy!).to.be.greaterThan(0.85);
    const nodes = await api<{ histogram: number[] }[]>(
      url,
      "GET",
      `/api/runs/${created.body.id}/nodes`,
    );
    expect(nodes.body.every((n) => n.histogram.length === 2)).to.equal(true);
    const contributions = await api<ContributionRecord[]>(
      url,
      "GET",
      `/api/contributions?run=${created.body.id}`,
    );
    expect(contributions.body).to.have.length(12);
    const out = await runAudit(stack.env, [
      "--run",
      created.body.id,
      "--recompute",
      "--from",
      url,
      "--json",
    ]).catch((err: { stdout?: string }) => err.stdout ?? "{}");
    const report = JSON.parse(out) as { ok: boolean; recompute: { rounds: { status: string }[] } };
    expect(report.ok, out.slice(0, 3000)).to.equal(true);
    expect(
      report.recompute.rounds.map((r) => r.status),
      out.slice(0, 4000),
    ).to.deep.equal(["verified", "verified", "verified"]);
    // The registry's TF.js export of a 30-feature, 2-class MLP predicts what the engine does.
    const model = await tf.loadLayersModel(
      `${url}/api/runs/${created.body.id}/models/last/tfjs/model.json`,
    );
    expect(model.inputs[0]!.shape).to.deep.equal([null, 30]);
    expect(model.outputs[0]!.shape).to.deep.equal([null, 2]);
    model.dispose();
    const evaluation = await api<{ accuracy: number; perClassAccuracy: number[] }>(
      url,
      "GET",
      `/api/runs/${created.body.id}/models/last/evaluation`,
    );
    expect(evaluation.status).to.equal(200);
    expect(evaluation.body.perClassAccuracy).to.have.length(2);
    expect(evaluation.body.accuracy).to.equal(rounds[2]!.testAccuracy);
  });

  it("runs DP-FedAvg and secure aggregation on the same table", async () => {
    for (const extra of [
      { privacy: { clipNorm: 1, noiseMultiplier: 0.3 } },
      {
        aggregation: { mode: "secure" },
        reward: { policy: "aggregate-loss", poolPerRound: "100" },
      },
    ] as const) {
      const created = await api<RunSummary>(url, "POST", "/api/runs", {
        ...tableRun,
        rounds: 2,
        ...extra,
      });
      expect(created.status, JSON.stringify(created.body)).to.equal(201);
      const { rounds } = await finishedRun(url, created.body.id);
      expect(rounds).to.have.length(2);
      expect(rounds[1]!.testAccuracy!).to.be.greaterThan(0.6);
    }
  });

  /** The run's log lines (what the dashboard's run log shows). */
  async function logLines(runId: string): Promise<string[]> {
    return (await stack.coord.events.history(runId))
      .filter((e) => e.type === "log")
      .map((e) => (e as { message: string }).message);
  }

  it("trains a declared conv net on colour image folders, one per agent; a node with other classes is left out", async () => {
    const created = await api<RunSummary & { config: CreateRunRequest }>(url, "POST", "/api/runs", {
      dataset: "own",
      data: {
        name: "shapes",
        format: "image-folder",
        validation: "shapes/validation",
        test: "shapes/test",
        image: { height: 12, width: 12, channels: 3 },
      },
      model: "layers",
      modelTopology: convTopology(),
      partition: { kind: "iid" },
      nodeSource: "remote",
      numNodes: 3,
      fraction: 1,
      rounds: 3,
      localEpochs: 2,
      batchSize: 8,
      learningRate: 0.05,
      strategy: { name: "fedavg" },
      roundTimeoutMs: 120_000,
      seed: 4,
    });
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    expect(created.body.config.data!.resolved!.classNames).to.deep.equal(["blue", "green", "red"]);
    expect(created.body.config.data!.resolved!.inputShape).to.deep.equal([12, 12, 3]);
    const { rounds } = await finishedRun(url, created.body.id);
    for (const r of rounds) {
      expect([...r.participants].sort()).to.deep.equal(imageIds);
      expect(r.updates.every((u) => u.accepted)).to.equal(true);
    }
    expect(rounds[2]!.testAccuracy!).to.be.greaterThan(0.8);
    // The registry exports the declared topology with the trained weights: TF.js loads it as is.
    const exported = await tf.loadLayersModel(
      `${url}/api/runs/${created.body.id}/models/last/tfjs/model.json`,
    );
    expect(exported.inputs[0]!.shape).to.deep.equal([null, 12, 12, 3]);
    expect(exported.outputs[0]!.shape).to.deep.equal([null, 3]);
    exported.dispose();
    // clinic-3 has no blue images: its histogram (in the run's class order) says so.
    const nodes = await api<{ nodeId: string; histogram: number[] }[]>(
      url,
      "GET",
      `/api/runs/${created.body.id}/nodes`,
    );
    expect(nodes.body.find((n) => n.nodeId === "clinic-3")!.histogram).to.deep.equal([0, 30, 30]);
    const log = await logLines(created.body.id);
    expect(
      log.some((l) =>
        /node odd-one is left out: its classes "purple" are not among the run's classes/.test(l),
      ),
    ).to.equal(true);
    expect(log.some((l) => /node hospital-a is left out: it holds a table/.test(l))).to.equal(true);
  });

  it("trains on CSV tables, one per agent, with the coordinator's encoding", async () => {
    const created = await api<RunSummary>(url, "POST", "/api/runs", {
      ...tableRun,
      data: table,
      nodeSource: "remote",
      numNodes: 3,
      roundTimeoutMs: 120_000,
    });
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    const { rounds } = await finishedRun(url, created.body.id);
    for (const r of rounds) expect([...r.participants].sort()).to.deep.equal(tableIds);
    expect(rounds[2]!.testAccuracy!).to.be.greaterThan(0.85);
    const nodes = await api<{ nodeId: string; samples: number }[]>(
      url,
      "GET",
      `/api/runs/${created.body.id}/nodes`,
    );
    expect(
      nodes.body
        .filter((n) => tableIds.includes(n.nodeId))
        .map((n) => n.samples)
        .sort(),
    ).to.deep.equal([122, 124, 124]);
  });

  it("refuses bad data and bad models with a 400 that says what to fix, storing nothing", async () => {
    const bad = path.join(dataRoot, "bad");
    mkdirSync(bad, { recursive: true });
    const header = "a,b,label\n";
    writeFileSync(path.join(bad, "nan.csv"), `${header}1,2,x\n3,NaN,y\n`);
    writeFileSync(path.join(bad, "ok.csv"), `${header}1,2,x\n3,4,y\n5,6,x\n`);
    writeFileSync(path.join(bad, "unseen.csv"), `${header}1,2,x\n3,4,z\n`);
    writeShapeImages(path.join(bad, "mixed"), ["red", "green"], 4, 5);
    mkdirSync(path.join(bad, "empty", "red"), { recursive: true });
    mkdirSync(path.join(bad, "empty", "green"), { recursive: true });
    writeShapeImages(path.join(bad, "empty"), ["red"], 2, 6);
    symlinkSync("/etc", path.join(dataRoot, "escape"));
    const before = (await api<unknown[]>(url, "GET", "/api/runs")).body.length;
    const csv = (file: string, extra: object = {}) => ({
      ...tableRun,
      data: {
        name: "t",
        format: "csv",
        train: `bad/${file}`,
        holdout: { validation: 0.34, test: 0.34 },
        csv: { label: "label" },
        ...extra,
      },
    });
    const cases: [string, unknown, RegExp][] = [
      [
        "a path out of the root",
        { ...tableRun, data: { ...tableRun.data, train: "../../etc/passwd" } },
        /data root/,
      ],
      [
        "a link out of the root",
        { ...tableRun, data: { ...tableRun.data, train: "escape/passwd" } },
        /outside the data root/,
      ],
      [
        "a missing file",
        { ...tableRun, data: { ...tableRun.data, train: "nope.csv" } },
        /does not exist/,
      ],
      ["NaN in a feature", csv("nan.csv"), /row 2, column "b".*NaN/],
      [
        "an unseen label in the validation table",
        {
          ...tableRun,
          data: {
            name: "t",
            format: "csv",
            train: "bad/ok.csv",
            validation: "bad/unseen.csv",
            test: "bad/ok.csv",
            csv: { label: "label" },
          },
        },
        /unseen label value "z"/,
      ],
      [
        "mixed image sizes without resize",
        {
          ...tableRun,
          model: "logreg",
          data: {
            name: "m",
            format: "image-folder",
            train: "bad/mixed",
            holdout: { validation: 0.25, test: 0.25 },
            image: { height: 12, width: 12, channels: 3, resize: false },
          },
        },
        /differ in size/,
      ],
      [
        "an empty class folder",
        {
          ...tableRun,
          model: "logreg",
          data: {
            name: "e",
            format: "image-folder",
            train: "bad/empty",
            holdout: { validation: 0.25, test: 0.25 },
            image: { height: 12, width: 12, channels: 3 },
          },
        },
        /"green".*has no .png/,
      ],
      ["a CNN on a table", { ...tableRun, model: "cnn" }, /the CNN needs images/],
      [
        "a Dropout layer",
        {
          ...tableRun,
          model: "layers",
          modelTopology: {
            class_name: "Sequential",
            config: {
              layers: [
                { class_name: "Dropout", config: { rate: 0.5 } },
                { class_name: "Dense", config: { units: 2 } },
              ],
            },
          },
        },
        /Dropout/,
      ],
      [
        "a model with the wrong class count",
        {
          ...tableRun,
          model: "layers",
          modelTopology: {
            class_name: "Sequential",
            config: { layers: [{ class_name: "Dense", config: { units: 3 } }] },
          },
        },
        /3.*2|2.*3/,
      ],
      ["own data without its block", { ...tableRun, data: undefined }, /needs a data block/],
    ];
    for (const [what, body, message] of cases) {
      const res = await api<{ error: { message: string } } | { message: string }>(
        url,
        "POST",
        "/api/runs",
        body,
      );
      expect(res.status, what).to.equal(400);
      const text = (res.body as { error?: { message?: string } }).error?.message ?? "";
      expect(text, `${what}: ${JSON.stringify(res.body)}`).to.match(message);
      expect(text, "no absolute path of the coordinator's").not.to.include(dataRoot);
    }
    expect((await api<unknown[]>(url, "GET", "/api/runs")).body.length).to.equal(before);
  });
});
