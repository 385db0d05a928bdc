import { createConfig, http, injected } from "wagmi";
import { hardhat, sepolia } from "viem/chains";
import { redactRpcUrl } from "../../../backend/src/chain/redact-url";

/** The RPC the dashboard reads the local chain through (CHAIN_RPC_URL / CHAIN_PORT at start). */
export const localRpcUrl: string = import.meta.env.VITE_CHAIN_RPC_URL;

/** The local Hardhat chain, read through the RPC the dashboard was started with. */
export const localChain = {
  ...hardhat,
  rpcUrls: {
    default: { http: [localRpcUrl] },
  },
} as const;

export const supportedChains = [localChain, sepolia] as const;
export type SupportedChainId = (typeof supportedChains)[number]["id"];

export function isSupportedChainId(id: number | undefined): id is SupportedChainId {
  return supportedChains.some((c) => c.id === id);
}

/**
 * Sepolia's RPC: DASHBOARD_SEPOLIA_RPC_URL when the dashboard was built with one (it is bundled into
 * the page, so use a public endpoint or a key restricted to the dashboard's origin), else viem's
 * public default.
 */
const sepoliaRpcUrl: string | undefined = import.meta.env.VITE_SEPOLIA_RPC_URL || undefined;

/** The RPC URL the dashboard reads a chain through, as it may be shown (no API key). */
export function rpcUrlOf(id: number | undefined): string | undefined {
  if (id === localChain.id) return redactRpcUrl(localRpcUrl);
  if (id === sepolia.id) return redactRpcUrl(sepoliaRpcUrl ?? sepolia.rpcUrls.default.http[0]);
  return undefined;
}

export function chainName(id: number | undefined): string {
  if (id === undefined) return "unknown chain";
  return supportedChains.find((c) => c.id === id)?.name ?? `chain ${id}`;
}

/** A block explorer for a chain when it has one (Sepolia); the local chain has none. */
export function explorerUrl(chainId: number | undefined): string | undefined {
  return supportedChains.find((c) => c.id === chainId && "blockExplorers" in c)?.blockExplorers
    ?.default.url;
}

export const wagmiConfig = createConfig({
  chains: supportedChains,
  // EIP-6963 discovery (multiInjectedProviderDiscovery) lists MetaMask and other wallets by name;
  // injected() also covers a plain window.ethereum.
  connectors: [injected()],
  transports: {
    [localChain.id]: http(localRpcUrl, { retryCount: 1 }),
    [sepolia.id]: http(sepoliaRpcUrl),
  },
  pollingInterval: 1_000,
});

declare module "wagmi" {
  interface Register {
    config: typeof wagmiConfig;
  }
}
