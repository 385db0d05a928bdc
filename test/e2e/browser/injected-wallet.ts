import type { Page } from "playwright-core";
import {
  createPublicClient,
  createWalletClient,
  http,
  numberToHex,
  type Chain,
  type Hex,
  type LocalAccount,
} from "viem";
import { hardhat } from "viem/chains";

/**
 * An EIP-1193 wallet for Playwright pages, standing in for MetaMask: the page gets a
 * `window.ethereum` (also announced through EIP-6963) whose requests cross a bridge
 * (`page.exposeFunction`) into this process, where a viem wallet client with a Hardhat dev key
 * signs and sends. Reads go straight to the chain's RPC.
 */
export interface InjectedWallet {
  /** The account that answers eth_accounts and signs; may be changed between page loads. */
  account: LocalAccount;
  /** The chain the wallet is "on" (what eth_chainId answers). */
  chainId: number;
  /** Reject the next signing request as a user would (EIP-1193 code 4001). */
  rejectNext: boolean;
  /** Every method the page asked for, in order (for assertions). */
  readonly calls: string[];
}

export interface WalletOptions {
  account: LocalAccount;
  rpcUrl: string;
  chainId?: number;
  /** Chains wallet_switchEthereumChain accepts (default: the wallet's own). */
  knownChainIds?: number[];
}

interface BridgeReply {
  result?: unknown;
  error?: { code: number; message: string };
}

class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

const SIGNING = new Set([
  "eth_sendTransaction",
  "personal_sign",
  "eth_sign",
  "eth_signTypedData_v4",
]);

interface TxParams {
  from?: Hex;
  to?: Hex;
  data?: Hex;
  value?: Hex;
  gas?: Hex;
}

export async function installInjectedWallet(
  page: Page,
  options: WalletOptions,
): Promise<InjectedWallet> {
  const chain: Chain = {
    ...hardhat,
    id: options.chainId ?? hardhat.id,
    rpcUrls: { default: { http: [options.rpcUrl] } },
  };
  const publicClient = createPublicClient({ chain, transport: http(options.rpcUrl) });
  const known = new Set(options.knownChainIds ?? [chain.id]);
  const wallet: InjectedWallet = {
    account: options.account,
    chainId: chain.id,
    rejectNext: false,
    calls: [],
  };

  let authorized = false;
  const handle = async (method: string, params: unknown[]): Promise<unknown> => {
    wallet.calls.push(method);
    if (SIGNING.has(method) && wallet.rejectNext) {
      wallet.rejectNext = false;
      throw new RpcError(4001, "User rejected the request.");
    }
    const walletClient = createWalletClient({
      account: wallet.account,
      chain,
      transport: http(options.rpcUrl),
    });
    switch (method) {
      case "eth_requestAccounts":
        authorized = true;
        return [wallet.account.address];
      case "eth_accounts":
        // Like MetaMask: no accounts until the site has asked for them.
        return authorized ? [wallet.account.address] : [];
      case "eth_chainId":
        return numberToHex(wallet.chainId);
      case "net_version":
        return String(wallet.chainId);
      case "wallet_requestPermissions":
        authorized = true;
        return [{ parentCapability: "eth_accounts" }];
      case "wallet_getPermissions":
        return authorized ? [{ parentCapability: "eth_accounts" }] : [];
      case "wallet_revokePermissions":
        authorized = false;
        return null;
      case "wallet_switchEthereumChain": {
        const id = Number((params[0] as { chainId: Hex }).chainId);
        if (!known.has(id)) throw new RpcError(4902, `Unrecognized chain ID ${id}.`);
        wallet.chainId = id;
        return null;
      }
      case "wallet_addEthereumChain": {
        known.add(Number((params[0] as { chainId: Hex }).chainId));
        return null;
      }
      case "eth_sendTransaction": {
        const tx = params[0] as TxParams;
        if (wallet.chainId !== chain.id)
          throw new RpcError(4901, `The wallet is on chain ${wallet.chainId}, not ${chain.id}.`);
        return walletClient.sendTransaction({
          to: tx.to,
          data: tx.data,
          value: tx.value ? BigInt(tx.value) : undefined,
          gas: tx.gas ? BigInt(tx.gas) : undefined,
        });
      }
      case "personal_sign":
        return walletClient.signMessage({ message: { raw: params[0] as Hex } });
      case "eth_signTypedData_v4":
        return walletClient.signTypedData(JSON.parse(params[1] as string));
      default:
        return publicClient.request({ method, params } as never);
    }
  };

  await page.exposeFunction(
    "__fedledgerWallet",
    async (method: string, paramsJson: string): Promise<BridgeReply> => {
      try {
        const result = await handle(method, JSON.parse(paramsJson) as unknown[]);
        return {
          result: JSON.parse(
            JSON.stringify(result ?? null, (_k, v: unknown) =>
              typeof v === "bigint" ? numberToHex(v) : v,
            ),
          ) as unknown,
        };
      } catch (err) {
        const code = err instanceof RpcError ? err.code : -32603;
        return { error: { code, message: (err as Error).message.split("\n")[0] ?? "error" } };
      }
    },
  );

  // Passed as source text: a function would be transpiled by tsx (esbuild adds `__name` helpers
  // that do not exist in the page).
  await page.addInitScript({ content: PAGE_PROVIDER_SOURCE });

  return wallet;
}

/** The page side: window.ethereum forwarding to the bridge, announced through EIP-6963. */
const PAGE_PROVIDER_SOURCE = `(() => {
  const bridge = window.__fedledgerWallet;
  const listeners = new Map();
  const emit = (event, ...args) => listeners.get(event)?.forEach((l) => l(...args));
  const provider = {
    isFedLedgerTestWallet: true,
    async request({ method, params }) {
      const reply = await bridge(method, JSON.stringify(params ?? []));
      if (reply.error) {
        const e = new Error(reply.error.message);
        e.code = reply.error.code;
        throw e;
      }
      if (method === "wallet_switchEthereumChain") emit("chainChanged", params[0].chainId);
      return reply.result;
    },
    on(event, l) {
      if (!listeners.has(event)) listeners.set(event, new Set());
      listeners.get(event).add(l);
      return provider;
    },
    removeListener(event, l) {
      listeners.get(event)?.delete(l);
      return provider;
    },
  };
  window.ethereum = provider;
  const info = Object.freeze({
    uuid: "6f0c3f3e-5b7a-4d8e-9a57-fedled9e0001",
    name: "FedLedger Test Wallet",
    icon: "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Crect width='16' height='16' rx='3' fill='%233157d5'/%3E%3C/svg%3E",
    rdns: "org.fedledger.testwallet",
  });
  const announce = () =>
    window.dispatchEvent(
      new CustomEvent("eip6963:announceProvider", { detail: Object.freeze({ info, provider }) }),
    );
  window.addEventListener("eip6963:requestProvider", announce);
  announce();
})();`;
