// The `fedledger` CLI against a real coordinator (real chain, real engine): a YAML run followed to
// completion with --set overrides, export checked against the API, bad config files named field by
// field, runs/compare/archive, and `fedledger model export` loaded back with TF.js.
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import * as tf from "@tensorflow/tfjs";
import { expect } from "chai";
import { COMMANDS, main } from "../../backend/src/cli/main.js";
import type { Io } from "../../backend/src/cli/command.js";
import {
  parseCsv,
  type NodeSummary,
  type RewardsSummary,
  type RoundRecord,
  type RunExport,
  type RunSummary,
} from "../../backend/src/domain/index.js";
import { forward, loadDataset, unflattenWeights } from "../../backend/src/engine/index.js";
import { finishedRun, startCoordinatorStack } from "../helpers/coordinator-stack.js";
import { api } from "../helpers/http.js";
import { root } from "../helpers/processes.js";
import { until } from "../helpers/until.js";
import { tempDir } from "../helpers/temp-dir.js";

const execFileAsync = promisify(execFile);

const RUN_YAML = `# a run config file as a researcher writes it
name: cli yaml run
dataset: synthetic
model: 2nn
partition: { kind: iid }
numNodes: 3
fraction: 1
rounds: 5
localEpochs: 1
batchSize: 32
learningRate: 0.1
strategy: { name: fedavg }
seed: 3
`;

interface Captured {
  code: number;
  out: string;
  err: string;
}

/** `fedledger <argv>` in this process, its output captured. */
async function cli(argv: string[], env: NodeJS.ProcessEnv): Promise<Captured> {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    status: () => undefined,
    isTty: false,
  };
  const code = await main(argv, io, env);
  return { code, out: out.join("\n"), err: err.join("\n") };
}

/** `fedledger <argv>` as a separate process (the package.json bin), with its exit code. */
async function bin(argv: string[], env: Record<string, string>): Promise<Captured> {
  try {
    const { stdout, stderr } = await execFileAsync(
      process.execPath,
      [path.join(root, "bin", "fedledger.js"), ...argv],
      { cwd: root, env: { ...process.env, ...env } },
    );
    return { code: 0, out: stdout, err: stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, out: x.stdout, err: x.stderr };
  }
}

describe("fedledger CLI (real coordinator, real chain)", function () {
  this.timeout(600_000);
  let stack: Awaited<ReturnType<typeof startCoordinatorStack>>;
  let url: string;
  let env: NodeJS.ProcessEnv;
  const dir = tempDir("fl-cli-files-");
  const yamlFile = path.join(dir, "run.yaml");
  let runId = "";

  before(async () => {
    stack = await startCoordinatorStack({ dataDirPrefix: "fl-cli-", workers: 1 });
    url = stack.server.url;
    env = { FEDLEDGER_COORDINATOR: url };
    writeFileSync(yamlFile, RUN_YAML);
  });

  after(async () => {
    await stack?.server.close();
    await stack?.coord.close();
    await stack?.chain.stop();
  });

  it("runs a YAML config to completion with --set overrides, one line per round, exit 0", async () => {
    const r = await cli(
      ["run", yamlFile, "--set", "rounds=3", "--set", "name=cli override", "--set", "seed=4"],
      env,
    );
    expect(r.code, r.err).to.equal(0);
    runId = /created (run-[^\s]+)/.exec(r.out)![1]!;
    for (const n of [1, 2, 3]) expect(r.out).to.match(new RegExp(`round ${n}\\b`));
    expect(r.out).to.match(/completed: 3\/3 rounds, test accuracy/);
    const run = (await api<RunSummary>(url, "GET", `/api/runs/${runId}`)).body;
    expect(run.status).to.equal("completed");
    expect(run.name).to.equal("cli override");
    expect(run.config.rounds).to.equal(3);
    expect(run.config.seed).to.equal(4);
    expect(run.config.model).to.equal("2nn");
  });

  it("exports JSON and CSV that match the API", async () => {
    await finishedRun(url, runId);
    const out = path.join(dir, "export");
    const j = await cli(["export", runId, "--format", "json", "--out", out], env);
    expect(j.code, j.err).to.equal(0);
    const file = JSON.parse(readFileSync(path.join(out, `${runId}.json`), "utf8")) as RunExport;
    const fromApi = (await api<RunExport>(url, "GET", `/api/runs/${runId}/export?format=json`))
      .body;
    expect({ ...file, exportedAt: 0 }).to.deep.equal({ ...fromApi, exportedAt: 0 });
    const rounds = (await api<RoundRecord[]>(url, "GET", `/api/runs/${runId}/rounds`)).body;
    expect(file.rounds.map((r) => r.testAccuracy)).to.deep.equal(rounds.map((r) => r.testAccuracy));
    expect(file.contributions.length).to.equal(rounds.reduce((s, r) => s + r.updates.length, 0));

    const c = await cli(["export", runId, "--format", "csv", "--out", out], env);
    expect(c.code, c.err).to.equal(0);
    const csvRounds = parseCsv(readFileSync(path.join(out, `${runId}-rounds.csv`), "utf8"));
    expect(csvRounds.map((r) => Number(r.round))).to.deep.equal(rounds.map((r) => r.round));
    expect(csvRounds.map((r) => Number(r.test_accuracy))).to.deep.equal(
      rounds.map((r) => r.testAccuracy),
    );
    expect(csvRounds.map((r) => r.tx_hash)).to.deep.equal(rounds.map((r) => r.txHash ?? ""));
    const csvContribs = parseCsv(
      readFileSync(path.join(out, `${runId}-contributions.csv`), "utf8"),
    );
    expect(csvContribs.length).to.equal(file.contributions.length);
    const res = await fetch(`${url}/api/runs/${runId}/export?format=csv&table=contributions`);
    expect(res.headers.get("content-type")).to.match(/^text\/csv/);
    expect(readFileSync(path.join(out, `${runId}-contributions.csv`), "utf8")).to.equal(
      await res.text(),
    );
  });

  it("names the field and the allowed values of a bad config, and sends nothing (exit 2)", async () => {
    const before = (await api<RunSummary[]>(url, "GET", "/api/runs")).body.length;
    const bad = path.join(dir, "bad.yaml");
    writeFileSync(
      bad,
      RUN_YAML.replace("model: 2nn", "model: resnet").replace("seed: 3", "sed: 3"),
    );
    const r = await cli(["run", bad], env);
    expect(r.code).to.equal(2);
    expect(r.err).to.include("model:");
    for (const m of ["cnn", "2nn", "logreg"]) expect(r.err).to.include(m);
    expect(r.err).to.match(/unknown field "sed"; allowed: .*seed/);
    const set = await cli(["run", yamlFile, "--set", "partition.kind=clusters"], env);
    expect(set.code).to.equal(2);
    expect(set.err).to.include("partition");
    expect(set.err).to.include("--set partition.kind=clusters");
    const missing = await cli(["run", path.join(dir, "nope.yaml")], env);
    expect(missing.code).to.equal(2);
    expect((await api<RunSummary[]>(url, "GET", "/api/runs")).body.length).to.equal(before);
  });

  it("lists, shows, compares and archives runs; --json everywhere; exit 3 when unreachable", async () => {
    const second = await cli(
      ["run", yamlFile, "--set", "rounds=2", "--set", "learningRate=0.05", "--json"],
      env,
    );
    expect(second.code, second.err).to.equal(0);
    const secondRun = JSON.parse(second.out) as RunSummary;
    expect(secondRun.status).to.equal("completed");

    const ls = await cli(["runs", "ls", "--json"], env);
    expect((JSON.parse(ls.out) as RunSummary[]).map((r) => r.id)).to.include.members([
      runId,
      secondRun.id,
    ]);
    const show = await cli(["runs", "show", runId], env);
    expect(show.out)
      .to.include("cli override")
      .and.to.match(/ROUND\s+ACCURACY/);

    const cmp = await cli(["compare", runId, secondRun.id], env);
    expect(cmp.code, cmp.err).to.equal(0);
    expect(cmp.out).to.include("learningRate").and.to.include("rounds");

    expect((await cli(["runs", "archive", secondRun.id], env)).code).to.equal(0);
    const after = JSON.parse((await cli(["runs", "ls", "--json"], env)).out) as RunSummary[];
    expect(after.map((r) => r.id)).to.not.include(secondRun.id);
    const only = await cli(["runs", "ls", "--archived", "only", "--json"], env);
    expect((JSON.parse(only.out) as RunSummary[]).map((r) => r.id)).to.deep.equal([secondRun.id]);
    // Archived, not gone: the run and its rounds are still served.
    expect((await api(url, "GET", `/api/runs/${secondRun.id}/rounds`)).status).to.equal(200);

    const down = await cli(["runs", "ls"], { FEDLEDGER_COORDINATOR: "http://127.0.0.1:9" });
    expect(down.code).to.equal(3);
    expect(down.err).to.include("cannot reach the coordinator");
    expect((await cli(["runs", "frobnicate"], env)).code).to.equal(2);
  });

  it("pauses, resumes and stops a run while logs -f follows it; nodes ls, rewards, --help everywhere", async () => {
    for (const c of COMMANDS) {
      const h = await cli([c.name, "--help"], env);
      expect(h.code, c.name).to.equal(0);
      expect(h.out, c.name).to.match(new RegExp(`^usage: fedledger ${c.name}`));
    }
    const detached = await cli(
      ["run", yamlFile, "--set", "rounds=40", "--set", "model=logreg", "--detach", "--json"],
      env,
    );
    expect(detached.code, detached.err).to.equal(0);
    const id = (JSON.parse(detached.out) as RunSummary).id;
    const status = async () => (await api<RunSummary>(url, "GET", `/api/runs/${id}`)).body.status;
    await until("the run to start", async () => (await status()) === "running");
    expect((await cli(["pause", id], env)).code).to.equal(0);
    await until("the run to pause", async () => (await status()) === "paused");
    expect((await cli(["resume", id], env)).code).to.equal(0);
    await until("the run to run again", async () => (await status()) === "running");
    const follow = cli(["logs", id, "-f"], env);
    await until("a round to finish", async () => {
      const r = (await api<RoundRecord[]>(url, "GET", `/api/runs/${id}/rounds`)).body;
      return r.some((x) => x.testAccuracy !== null);
    });
    const stopped = await cli(["stop", id, "--json"], env);
    expect(stopped.code, stopped.err).to.equal(0);
    const logs = await follow;
    expect(logs.code).to.equal(1); // followed to the end, and the end was not "completed"
    expect(logs.out).to.match(/round 1\b/);
    expect(await status()).to.equal("stopped");

    const nodes = await cli(["nodes", "ls", "--json"], env);
    const list = JSON.parse(nodes.out) as NodeSummary[];
    expect(list.length).to.be.greaterThan(0);
    const paid = list.find((n) => BigInt(n.totals.rewardWei) > 0n) ?? list[0]!;
    // A stop lets the round in flight finish and its chain write land later, so the totals can move
    // between the two readings: compare until they agree (a wrong CLI never would).
    await until("the CLI's rewards to match the API's", async () => {
      const rewards = await cli(["rewards", paid.wallet, "--json"], env);
      expect(rewards.code, rewards.err).to.equal(0);
      const fromApi = (await api<RewardsSummary>(url, "GET", `/api/rewards/${paid.wallet}`)).body;
      return (JSON.parse(rewards.out) as RewardsSummary).recordedWei === fromApi.recordedWei;
    });
    expect((await cli(["rewards", "0x1234"], env)).code).to.equal(2);
  });

  it("as a process: --help, the JSON Schema, and model export that TF.js loads and that predicts like the engine", async () => {
    const help = await bin(["--help"], stack.env);
    expect(help.code).to.equal(0);
    for (const c of ["run", "runs", "logs", "export", "compare", "nodes", "rewards", "model"])
      expect(help.out).to.match(new RegExp(`^  ${c}\\s`, "m"));
    const schema = await bin(["schema"], stack.env);
    expect(JSON.parse(schema.out)).to.have.property("title", "FedLedger run config");

    const out = path.join(dir, "model");
    const m = await bin(
      ["model", "export", "--run", runId, "--round", "best", "--out", out, "--json"],
      stack.env,
    );
    expect(m.code, m.err).to.equal(0);
    const written = JSON.parse(m.out) as { version: { round: number; hash: string } };
    const modelJson = JSON.parse(readFileSync(path.join(out, "model.json"), "utf8")) as {
      modelTopology: object;
      weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[];
      userDefinedMetadata: { fedledger: { modelHash: string } };
    };
    expect(modelJson.userDefinedMetadata.fedledger.modelHash).to.equal(written.version.hash);
    const weightBytes = readFileSync(path.join(out, "weights.bin"));
    const model = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: modelJson.modelTopology,
        weightSpecs: modelJson.weightsManifest[0]!.weights,
        weightData: new Uint8Array(weightBytes).buffer,
      }),
    );
    const test = (await loadDataset("synthetic", { seed: 1 })).test;
    const x = tf.tensor4d(test.x.subarray(0, 50 * 784), [50, 28, 28, 1]);
    const exported = (model.predict(x) as tf.Tensor).dataSync();
    const weights = new Float32Array(new Uint8Array(weightBytes).buffer);
    const params = unflattenWeights("2nn", weights);
    const engine = forward("2nn", params, x).dataSync();
    let maxDiff = 0;
    for (let i = 0; i < engine.length; i++)
      maxDiff = Math.max(maxDiff, Math.abs(engine[i]! - exported[i]!));
    expect(maxDiff).to.be.lessThan(1e-5);
    tf.dispose([x, ...params]);
    model.dispose();

    const none = await bin(["model", "export", "--run", runId, "--round", "99"], stack.env);
    expect(none.code).to.equal(1);
    expect(none.err).to.include("has no model version 99");
  });
});
