import { pbkdf2Sync } from "node:crypto";
import { toHex } from "viem";
import { HDKey, privateKeyToAccount, type LocalAccount } from "viem/accounts";

/**
 * Hardhat's public test mnemonic. Its keys are known to everyone: use them only on the local
 * development chain. Account 0 records; simulated node k uses account k, so sim-1..sim-19 are the
 * funded dev accounts #1..#19 that a user can import into MetaMask to claim.
 */
export const HARDHAT_TEST_MNEMONIC = "test test test test test test test test test test test junk";

/** BIP-39's seed of a mnemonic (no passphrase): PBKDF2-HMAC-SHA512, 2,048 rounds, 64 bytes. */
function bip39Seed(mnemonic: string): Uint8Array {
  return pbkdf2Sync(mnemonic.normalize("NFKD"), "mnemonic", 2048, 64, "sha512");
}

/** The wallets of the coordinator's simulated nodes: node k signs with account k of a mnemonic. */
export class SimulatedWallets {
  private readonly cache = new Map<number, LocalAccount>();
  /** m/44'/60'/0'/0, derived once: viem's mnemonicToAccount runs PBKDF2 (2,048 rounds) and five
   * derivations per call, about 100 ms of the event loop per simulated node of a new run. */
  private parent: HDKey | undefined;

  constructor(readonly mnemonic: string = HARDHAT_TEST_MNEMONIC) {}

  account(index: number): LocalAccount {
    let a = this.cache.get(index);
    if (!a) {
      this.parent ??= HDKey.fromMasterSeed(bip39Seed(this.mnemonic)).derive("m/44'/60'/0'/0");
      const key = this.parent.deriveChild(index).privateKey;
      if (!key) throw new Error(`no private key for account ${index}`);
      a = privateKeyToAccount(toHex(key));
      this.cache.set(index, a);
    }
    return a;
  }

  /**
   * The wallets a coordinator may pay simulated nodes to: Hardhat's public dev accounts on the local
   * chain; elsewhere only an operator's own mnemonic (undefined without one: simulated runs are
   * refused, since anyone holding the public keys could claim their rewards).
   */
  static forChain(localChain: boolean, operatorMnemonic: string | undefined) {
    if (operatorMnemonic) return new SimulatedWallets(operatorMnemonic);
    return localChain ? new SimulatedWallets() : undefined;
  }
}

const hardhat = new SimulatedWallets();

/** Simulated node k's account from Hardhat's public mnemonic (tests and local tooling). */
export function simulatedNodeAccount(index: number): LocalAccount {
  return hardhat.account(index);
}

export function simulatedNodeId(index: number): string {
  return `sim-${index}`;
}
