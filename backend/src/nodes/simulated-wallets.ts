import { mnemonicToAccount, type LocalAccount } from "viem/accounts";

/**
 * Hardhat's public test mnemonic. Its keys are known to everyone: use them only on the local
 * development chain. Account 0 records; simulated node k uses account k, so sim-1..sim-19 are the
 * funded dev accounts #1..#19 that a user can import into MetaMask to claim.
 */
export const HARDHAT_TEST_MNEMONIC = "test test test test test test test test test test test junk";

export function simulatedNodeAccount(
  index: number,
  mnemonic = HARDHAT_TEST_MNEMONIC,
): LocalAccount {
  return mnemonicToAccount(mnemonic, { addressIndex: index });
}

export function simulatedNodeId(index: number): string {
  return `sim-${index}`;
}
