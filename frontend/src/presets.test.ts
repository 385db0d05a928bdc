import { describe, expect, it } from "vitest";
import { CreateRunRequest } from "../../backend/src/api/schemas";
import { RUN_PRESETS, requestFromPreset } from "./presets";
import { participantsPerRound, validateRunRequest } from "./run-request";

describe("run presets", () => {
  it.each(RUN_PRESETS.map((p) => [p.id, p] as const))(
    "%s is a valid CreateRunRequest",
    (_id, p) => {
      expect(CreateRunRequest.safeParse(p.request).success).toBe(true);
      expect(validateRunRequest(p.request).ok).toBe(true);
    },
  );

  it("FedAvg paper IID follows McMahan et al.: 100 nodes, C = 0.1, B = 10, IID", () => {
    expect(requestFromPreset("fedavg-iid")).toMatchObject({
      dataset: "mnist",
      model: "2nn",
      partition: { kind: "iid" },
      numNodes: 100,
      fraction: 0.1,
      batchSize: 10,
      strategy: { name: "fedavg" },
    });
    expect(participantsPerRound(100, 0.1)).toBe(10);
  });

  it("non-IID shards uses 2 label-sorted shards per node", () => {
    expect(requestFromPreset("non-iid-shards").partition).toEqual({
      kind: "shards",
      shardsPerNode: 2,
    });
  });

  it("Byzantine nodes pairs attackers with a robust strategy that tolerates them", () => {
    const r = requestFromPreset("byzantine");
    expect(r.byzantine).toMatchObject({ fraction: 0.2, attack: "sign-flip" });
    expect(r.strategy).toMatchObject({ name: "krum", f: 2 });
    const attackers = Math.round(r.numNodes * (r.byzantine?.fraction ?? 0));
    expect(attackers).toBeLessThanOrEqual(r.strategy.name === "krum" ? (r.strategy.f ?? 0) : 0);
  });

  it("returns copies that can be edited without touching the preset", () => {
    const a = requestFromPreset("quick-demo");
    a.numNodes = 99;
    expect(requestFromPreset("quick-demo").numNodes).toBe(4);
  });
});

describe("validateRunRequest", () => {
  it("reports schema errors by field path", () => {
    const bad = { ...requestFromPreset("quick-demo"), numNodes: 0, learningRate: Number.NaN };
    const v = validateRunRequest(bad);
    expect(v.ok).toBe(false);
    if (!v.ok) expect(Object.keys(v.errors).sort()).toEqual(["learningRate", "numNodes"]);
  });

  it("applies the coordinator's cross-field rules", () => {
    const krum = { ...requestFromPreset("byzantine"), numNodes: 5 };
    const v = validateRunRequest(krum);
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.errors["strategy.f"]).toContain("at least 7 participants");

    const shards = {
      ...requestFromPreset("non-iid-shards"),
      trainLimit: 100,
      partition: { kind: "shards" as const, shardsPerNode: 2 },
    };
    const w = validateRunRequest(shards);
    expect(w.ok).toBe(false);
  });

  it("drops empty optional fields", () => {
    const v = validateRunRequest({
      ...requestFromPreset("quick-demo"),
      name: "  ",
      byzantine: { fraction: 0, attack: "sign-flip" },
    });
    expect(v.ok).toBe(true);
    if (v.ok) {
      expect(v.request).not.toHaveProperty("name");
      expect(v.request).not.toHaveProperty("byzantine");
    }
  });
});
