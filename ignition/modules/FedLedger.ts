// Deploys the FedLedger contracts: the ContributionLedger, which deploys its own RewardToken from its
// constructor (so the ledger is the token's only minter by construction) and grants the roles:
// DEFAULT_ADMIN_ROLE and PAUSER_ROLE to `admin`, RECORDER_ROLE to `recorder`.
//
// Parameters (module id "FedLedger"):
//   tokenName    ERC-20 name    (default "FedLedger Reward")
//   tokenSymbol  ERC-20 symbol  (default "FLR")
//   admin        role admin and pauser (default: the deploying account, account 0)
//   recorder     the coordinator's recorder address (default: the deploying account, account 0)
import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

export default buildModule("FedLedger", (m) => {
  const deployer = m.getAccount(0);
  const tokenName = m.getParameter<string>("tokenName", "FedLedger Reward");
  const tokenSymbol = m.getParameter<string>("tokenSymbol", "FLR");
  const admin = m.getParameter("admin", deployer);
  const recorder = m.getParameter("recorder", deployer);

  const ledger = m.contract("ContributionLedger", [tokenName, tokenSymbol, admin, recorder]);
  const token = m.contractAt("RewardToken", m.staticCall(ledger, "token"));

  return { ledger, token };
});
