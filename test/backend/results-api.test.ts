// Runs as code, the API side, on a coordinator with an ADMIN_TOKEN: saved presets and archiving
// need the token (and so does the CLI, from FEDLEDGER_ADMIN_TOKEN or --token-file), bad requests
// are 4xx naming the field, an unfinished run cannot be archived, archived runs keep their data.
import { expect } from "chai";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { main } from "../../backend/src/cli/main.js";
import type { Io } from "../../backend/src/cli/command.js";
import type { RunSummary, SavedPreset } from "../../backend/src/domain/index.js";
import type { Coordinator } from "../../backend/src/coordinator.js";
import { finishedRun, startCoordinator } from "../helpers/coordinator-stack.js";
import { api, listen, type TestServer } from "../helpers/http.js";
import { startLocalChain, type LocalChain } from "../helpers/local-chain.js";
import { tempDir } from "../helpers/temp-dir.js";

const TOKEN = "results-api-test-token-0123456789";
const auth = { authorization: `Bearer ${TOKEN}` };
const run = {
  name: "archivable",
  dataset: "synthetic",
  model: "logreg",
  partition: { kind: "iid" },
  numNodes: 2,
  fraction: 1,
  rounds: 2,
  localEpochs: 1,
  batchSize: 32,
  learningRate: 0.1,
  strategy: { name: "fedavg" },
};

async function cli(argv: string[], env: NodeJS.ProcessEnv) {
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

interface ErrorBody {
  error: { code: string; message: string };
}

describe("runs as code: presets, archive and export API (admin token)", function () {
  this.timeout(300_000);
  let chain: LocalChain;
  let coord: Coordinator;
  let server: TestServer;
  let url: string;

  before(async () => {
    chain = await startLocalChain();
    coord = await startCoordinator(
      {
        CHAIN_RPC_URL: chain.rpcUrl,
        DEPLOYMENT_FILE: chain.deploymentFile,
        DATA_DIR: tempDir("fl-results-api-"),
        ADMIN_TOKEN: TOKEN,
      },
      { workers: 1 },
    );
    server = await listen(coord.app);
    url = server.url;
  });

  after(async () => {
    await server?.close();
    await coord?.close();
    await chain?.stop();
  });

  it("saves, replaces, lists and deletes presets; only with the token; bad ones are 400 naming the field", async () => {
    const body = { name: "my preset", request: run };
    expect((await api(url, "POST", "/api/presets", body)).status).to.equal(401);
    const bad = await api<ErrorBody>(
      url,
      "POST",
      "/api/presets",
      { name: "bad", request: { ...run, model: "resnet" } },
      auth,
    );
    expect(bad.status).to.equal(400);
    expect(bad.body.error.message).to.include("request.model").and.to.include("logreg");
    const created = await api<SavedPreset>(url, "POST", "/api/presets", body, auth);
    expect(created.status).to.equal(201);
    expect(created.body.request.rounds).to.equal(2);
    const replaced = await api<SavedPreset>(
      url,
      "POST",
      "/api/presets",
      { ...body, request: { ...run, rounds: 4 } },
      auth,
    );
    expect(replaced.status).to.equal(200);
    expect(replaced.body.id).to.equal(created.body.id);
    const list = (await api<SavedPreset[]>(url, "GET", "/api/presets")).body;
    expect(list.map((p) => [p.name, p.request.rounds])).to.deep.equal([["my preset", 4]]);
    const del = `/api/presets/${created.body.id}`;
    expect((await api(url, "DELETE", del)).status).to.equal(401);
    expect((await api(url, "DELETE", del, undefined, auth)).status).to.equal(204);
    expect((await api(url, "DELETE", del, undefined, auth)).status).to.equal(404);
    expect((await api(url, "DELETE", "/api/presets/nope", undefined, auth)).status).to.equal(400);
  });

  it("archives only finished runs, with the token; archived runs leave the listing and keep their data", async () => {
    const created = await api<RunSummary>(url, "POST", "/api/runs", run, auth);
    expect(created.status).to.equal(201);
    const id = created.body.id;
    const early = await api<ErrorBody>(url, "POST", `/api/runs/${id}/archive`, undefined, auth);
    expect(early.status).to.equal(409);
    expect(early.body.error.code).to.equal("run_not_finished");
    await finishedRun(url, id);

    expect((await api(url, "POST", `/api/runs/${id}/archive`)).status).to.equal(401);
    const noToken = await cli(["runs", "archive", id], { FEDLEDGER_COORDINATOR: url });
    expect(noToken.code).to.equal(2);
    expect(noToken.err).to.include("HTTP 401").and.to.include("FEDLEDGER_ADMIN_TOKEN");
    const tokenFile = path.join(tempDir("fl-token-"), "token");
    writeFileSync(tokenFile, `${TOKEN}\n`);
    const archived = await cli(["runs", "archive", id, "--token-file", tokenFile], {
      FEDLEDGER_COORDINATOR: url,
    });
    expect(archived.code, archived.err).to.equal(0);

    const ids = async (q = "") =>
      (await api<RunSummary[]>(url, "GET", `/api/runs${q}`)).body.map((r) => r.id);
    expect(await ids()).to.not.include(id);
    expect(await ids("?archived=only")).to.deep.equal([id]);
    expect(await ids("?archived=include")).to.include(id);
    expect((await api(url, "GET", "/api/runs?archived=maybe")).status).to.equal(400);
    const exported = await api<{ rounds: unknown[] }>(url, "GET", `/api/runs/${id}/export`);
    expect(exported.body.rounds).to.have.length(2);

    const back = await cli(["runs", "unarchive", id], {
      FEDLEDGER_COORDINATOR: url,
      FEDLEDGER_ADMIN_TOKEN: TOKEN,
    });
    expect(back.code, back.err).to.equal(0);
    expect(await ids()).to.include(id);
  });

  it("answers a bad export query with 400 naming the allowed values, an unknown run with 404", async () => {
    const [first] = (await api<RunSummary[]>(url, "GET", "/api/runs")).body;
    const bad = await api<ErrorBody>(url, "GET", `/api/runs/${first!.id}/export?format=xml`);
    expect(bad.status).to.equal(400);
    expect(bad.body.error.message).to.include("format").and.to.include("csv");
    const table = await api<ErrorBody>(
      url,
      "GET",
      `/api/runs/${first!.id}/export?format=csv&table=nodes`,
    );
    expect(table.status).to.equal(400);
    expect(table.body.error.message).to.include("contributions");
    expect((await api(url, "GET", "/api/runs/run-0000000000/export")).status).to.equal(404);
  });
});
