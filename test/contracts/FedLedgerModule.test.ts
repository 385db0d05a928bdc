import { expect } from "chai";
import { network } from "hardhat";
import FedLedgerModule from "../../ignition/modules/FedLedger.js";

const { ethers, ignition } = await network.create();

/** Deploys the module and returns typed handles on what it deployed. */
async function deployModule(parameters?: Parameters<typeof ignition.deploy>[1]) {
  const deployed = await ignition.deploy(FedLedgerModule, parameters);
  return {
    ledger: await ethers.getContractAt("ContributionLedger", await deployed.ledger.getAddress()),
    token: await ethers.getContractAt("RewardToken", await deployed.token.getAddress()),
  };
}

const RECORDER_ROLE = ethers.id("RECORDER_ROLE");
const PAUSER_ROLE = ethers.id("PAUSER_ROLE");
const DEFAULT_ADMIN_ROLE = ethers.ZeroHash;

describe("Ignition module FedLedger", function () {
  it("deploys ledger + token with defaults: account 0 is admin, pauser and recorder", async function () {
    const [deployer] = await ethers.getSigners();
    const { ledger, token } = await deployModule();
    const ledgerAddress = await ledger.getAddress();
    expect(await token.minter()).to.equal(ledgerAddress);
    expect(await ledger.token()).to.equal(await token.getAddress());
    expect(await token.name()).to.equal("FedLedger Reward");
    expect(await token.symbol()).to.equal("FLR");
    for (const role of [DEFAULT_ADMIN_ROLE, PAUSER_ROLE, RECORDER_ROLE]) {
      expect(await ledger.hasRole(role, deployer!.address)).to.equal(true);
    }
  });

  it("takes token name/symbol, admin and recorder as parameters", async function () {
    const [deployer, admin, recorder] = await ethers.getSigners();
    const { ledger, token } = await deployModule({
      parameters: {
        FedLedger: {
          tokenName: "Custom Reward",
          tokenSymbol: "CRW",
          admin: admin!.address,
          recorder: recorder!.address,
        },
      },
    });
    expect(await token.name()).to.equal("Custom Reward");
    expect(await token.symbol()).to.equal("CRW");
    expect(await ledger.hasRole(DEFAULT_ADMIN_ROLE, admin!.address)).to.equal(true);
    expect(await ledger.hasRole(PAUSER_ROLE, admin!.address)).to.equal(true);
    expect(await ledger.hasRole(RECORDER_ROLE, recorder!.address)).to.equal(true);
    for (const role of [DEFAULT_ADMIN_ROLE, PAUSER_ROLE, RECORDER_ROLE]) {
      expect(await ledger.hasRole(role, deployer!.address)).to.equal(false);
    }
    expect(await ledger.hasRole(RECORDER_ROLE, admin!.address)).to.equal(false);
  });
});
