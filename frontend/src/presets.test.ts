import { describe, expect, it } from "vitest";
import { CreateRunRequest } from "../../backend/src/domain/index";
import {
  RUN_PRESETS,
  participantsPerRound,
  requestFromPreset,
} from "../../backend/src/domain/index";
import { validateRunRequest } from "./run-request";

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

  it("DP-FedAvg clips and noises on the nodes and reports epsilon at delta 1e-5", () => {
    const r = requestFromPreset("dp-fedavg");
    expect(r.privacy).toEqual({ clipNorm: 1, noiseMultiplier: 0.1, delta: 1e-5 });
    expect(r.aggregation).toBeUndefined();
    expect(CreateRunRequest.parse(r).aggregation).toEqual({ mode: "plain" });
  });

  it("Secure aggregation pairs SecAgg with the aggregate-loss policy and a plain strategy", () => {
    const r = requestFromPreset("secure-aggregation");
    expect(r.aggregation).toEqual({ mode: "secure", clipRange: 1 });
    expect(r.reward?.policy).toBe("aggregate-loss");
    expect(r.strategy).toEqual({ name: "fedavg" });
    expect(r.byzantine).toBeUndefined();
    expect(CreateRunRequest.parse(r).nodeSource).toBe("simulated");
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
    // The coordinator's rule names the strategy (runConfigViolations path ["strategy"]).
    if (!v.ok) expect(v.errors.strategy).toContain("at least 7 participants");

    const shards = {
      ...requestFromPreset("non-iid-shards"),
      trainLimit: 100,
      partition: { kind: "shards" as const, shardsPerNode: 2 },
    };
    const w = validateRunRequest(shards);
    expect(w.ok).toBe(false);
  });

  it("mirrors the coordinator's secure-aggregation rules at the fields to change", () => {
    const secure = { mode: "secure" as const, clipRange: 1 };
    const cases: [Partial<CreateRunRequest>, string][] = [
      [{ reward: { policy: "loss-improvement" } }, "reward.policy"],
      [{ strategy: { name: "median" } }, "strategy"],
      [{ byzantine: { fraction: 0.2, attack: "scale" } }, "byzantine.fraction"],
    ];
    for (const [patch, field] of cases) {
      const req: CreateRunRequest = {
        ...requestFromPreset("secure-aggregation"),
        aggregation: secure,
        ...patch,
      };
      // The coordinator refuses it too.
      expect(CreateRunRequest.safeParse(req).success, field).toBe(false);
      const v = validateRunRequest(req);
      expect(v.ok).toBe(false);
      if (!v.ok) expect(Object.keys(v.errors), field).toEqual([field]);
    }
    // Shown even while another field does not parse (zod skips refinements then).
    const broken = validateRunRequest({
      ...requestFromPreset("secure-aggregation"),
      numNodes: 0,
      reward: { policy: "shapley-mc" },
    });
    expect(broken.ok).toBe(false);
    if (!broken.ok)
      expect(Object.keys(broken.errors).sort()).toEqual(["numNodes", "reward.policy"]);
  });

  it("drops an empty neighbour count and unset privacy fields", () => {
    const v = validateRunRequest({
      ...requestFromPreset("dp-fedavg"),
      privacy: { clipNorm: 1, noiseMultiplier: 0, delta: 1e-5, adaptiveClipping: undefined },
      aggregation: { mode: "secure", clipRange: 1, neighbours: Number.NaN },
      reward: { policy: "aggregate-loss" },
    });
    expect(v.ok).toBe(true);
    if (v.ok) {
      expect(Object.keys(v.request.privacy!)).not.toContain("adaptiveClipping");
      expect(v.request.aggregation).toEqual({ mode: "secure", clipRange: 1 });
    }
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
