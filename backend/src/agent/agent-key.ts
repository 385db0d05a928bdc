import { readFileSync, statSync } from "node:fs";
import { privateKeyToAccount } from "viem/accounts";
import type { LocalAccount } from "viem";
import { componentLogger } from "../logging/logger.js";

const HEX_KEY = /^(0x)?[0-9a-fA-F]{64}$/;

export interface KeySource {
  /** A 0x-prefixed private key (prefer a file or keystore outside development). */
  key?: string | undefined;
  /** A file holding the private key as hex. */
  keyFile?: string | undefined;
  /** An encrypted JSON keystore (V3, as geth, MetaMask and ethers write); password from env. */
  keystore?: string | undefined;
  keystorePassword?: string | undefined;
}

function fromHex(hex: string, where: string): LocalAccount {
  const k = hex.trim();
  if (!HEX_KEY.test(k)) throw new Error(`${where} is not a 32-byte hex private key`);
  return privateKeyToAccount((k.startsWith("0x") ? k : `0x${k}`) as `0x${string}`);
}

/** The node's wallet: the key that registers the node, signs its updates and earns its rewards. */
export async function loadNodeAccount(src: KeySource): Promise<LocalAccount> {
  const given = [src.key, src.keyFile, src.keystore].filter((v) => v !== undefined).length;
  if (given !== 1) {
    throw new Error("give exactly one of --key, --key-file or --keystore");
  }
  if (src.key !== undefined) return fromHex(src.key, "--key");
  if (src.keyFile !== undefined) {
    const mode = statSync(src.keyFile).mode & 0o077;
    if (mode !== 0) {
      componentLogger("agent").warn(
        `${src.keyFile} is readable by other users; chmod 600 it to keep the key private`,
      );
    }
    return fromHex(readFileSync(src.keyFile, "utf8"), src.keyFile);
  }
  const password = src.keystorePassword;
  if (password === undefined) {
    throw new Error(
      "--keystore needs its password in the NODE_KEYSTORE_PASSWORD environment variable",
    );
  }
  const { Wallet } = await import("ethers");
  let wallet;
  try {
    wallet = await Wallet.fromEncryptedJson(readFileSync(src.keystore!, "utf8"), password);
  } catch (err) {
    throw new Error(`cannot decrypt ${src.keystore}: ${(err as Error).message}`, { cause: err });
  }
  return fromHex(wallet.privateKey, src.keystore!);
}
