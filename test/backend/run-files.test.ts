// Run config files without a coordinator: every preset in presets/ is a file `fedledger run` takes
// (checked with --dry-run, which validates with the API's schema and fills in the defaults), and
// --set overrides reach nested fields, read values as YAML and refuse prototype keys.
import { expect } from "chai";
import { readdirSync } from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import type { Io } from "../../backend/src/cli/command.js";
import { applyOverride } from "../../backend/src/cli/config-file.js";
import { main } from "../../backend/src/cli/main.js";
import { CreateRunRequest } from "../../backend/src/domain/index.js";
import { root } from "../helpers/processes.js";

async function cli(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    status: () => undefined,
    isTty: false,
  };
  const code = await main(argv, io, {});
  return { code, out: out.join("\n"), err: err.join("\n") };
}

describe("run config files (fedledger run --dry-run, --set)", () => {
  const presets = readdirSync(path.join(root, "presets")).filter((f) => f.endsWith(".yaml"));

  it("takes every preset as it is, filling in the defaults the coordinator would", async () => {
    expect(presets.length).to.be.greaterThan(5);
    for (const f of presets) {
      const r = await cli(["run", path.join(root, "presets", f), "--dry-run", "--json"]);
      expect(r.code, `${f}: ${r.err}`).to.equal(0);
      const filled = JSON.parse(r.out) as Record<string, unknown>;
      expect(CreateRunRequest.safeParse(filled).success, f).to.equal(true);
      expect(filled).to.have.property("seed");
    }
  });

  it("applies --set to nested fields, reading values as YAML", async () => {
    const r = await cli([
      "run",
      path.join(root, "presets", "quick-demo.yaml"),
      "--dry-run",
      "--set",
      "rounds=2",
      "--set",
      "strategy={name: fedprox, mu: 0.05}",
      "--set",
      "partition.kind=dirichlet",
      "--set",
      "partition.alpha=0.3",
    ]);
    expect(r.code, r.err).to.equal(0);
    const cfg = parseYaml(r.out) as {
      rounds: number;
      strategy: { name: string; mu: number };
      partition: { kind: string; alpha: number };
    };
    expect(cfg.rounds).to.equal(2);
    expect(cfg.strategy).to.deep.include({ name: "fedprox", mu: 0.05 });
    expect(cfg.partition).to.deep.include({ kind: "dirichlet", alpha: 0.3 });
  });

  it("refuses malformed and prototype-polluting overrides", () => {
    const target: Record<string, unknown> = {};
    expect(() => applyOverride(target, "rounds")).to.throw(/expected key=value/);
    expect(() => applyOverride(target, "__proto__.polluted=1")).to.throw(/not a field path/);
    expect(() => applyOverride(target, "a..b=1")).to.throw(/not a field path/);
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
    applyOverride(target, "a.b.c=[1, 2]");
    expect(target).to.deep.equal({ a: { b: { c: [1, 2] } } });
  });

  it("names the field and the allowed values of a bad --set", async () => {
    const r = await cli([
      "run",
      path.join(root, "presets", "quick-demo.yaml"),
      "--dry-run",
      "--set",
      "reward.policy=most-generous",
    ]);
    expect(r.code).to.equal(2);
    expect(r.err).to.include("reward.policy").and.to.include("loss-improvement");
  });
});
