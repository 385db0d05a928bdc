import { describe, expect, it } from "vitest";
import { RewardPolicySpec } from "../../backend/src/domain/index";
import { POLICY_NAMES, POLICY_TEXT } from "./reward-policies";

describe("reward policy texts", () => {
  it("describe every policy the coordinator accepts", () => {
    const accepted = RewardPolicySpec.options.map((o) => o.shape.policy.value);
    expect([...POLICY_NAMES].sort()).toEqual([...accepted].sort());
  });

  it("say that aggregate-loss pays by samples and is the one secure aggregation allows", () => {
    expect(POLICY_TEXT["aggregate-loss"].summary).toMatch(/by its samples/);
    expect(POLICY_TEXT["aggregate-loss"].summary).toMatch(/secure aggregation/);
    expect(POLICY_TEXT["aggregate-loss"].losses).toMatch(/same for every node/);
  });
});
