import { describe, expect, it } from "vitest";
import { collectDeployments, resolveDeployment, type Deployment } from "./deployments";

const local: Deployment = {
  chainId: 31337,
  network: "localhost",
  deployedAt: "2026-01-01T00:00:00Z",
  contracts: {
    RewardToken: { address: "0xa16E02E87b7454126E5E10d957A927A7F5B5d2be", deployBlock: 0 },
    ContributionLedger: { address: "0x5FbDB2315678afecb367f032d93F642f64180aa3", deployBlock: 0 },
  },
};

describe("deployments", () => {
  it("indexes deployment files by chain and lets DEPLOYMENT_FILE win", () => {
    const other = { ...local, network: "override" };
    const all = collectDeployments([local, { not: "a deployment" }], other);
    expect(Object.keys(all)).toEqual(["31337"]);
    expect(all[31337]?.network).toBe("override");
  });

  it("follows the coordinator when its addresses differ from the file", () => {
    const known = { 31337: local };
    expect(resolveDeployment(31337, undefined, known)).toEqual({ deployment: local, stale: false });
    expect(
      resolveDeployment(
        31337,
        {
          RewardToken: local.contracts.RewardToken.address.toLowerCase(),
          ContributionLedger: local.contracts.ContributionLedger.address,
        },
        known,
      ).stale,
    ).toBe(false);
    const moved = resolveDeployment(
      31337,
      {
        RewardToken: "0x0000000000000000000000000000000000000001",
        ContributionLedger: "0x0000000000000000000000000000000000000002",
      },
      known,
    );
    expect(moved.stale).toBe(true);
    expect(moved.deployment?.contracts.ContributionLedger.address).toBe(
      "0x0000000000000000000000000000000000000002",
    );
    expect(resolveDeployment(11155111, undefined, known).deployment).toBeUndefined();
  });
});
