import { createConfig, http, injected } from "wagmi";
import { hardhat, sepolia } from "viem/chains";
import { deployments } from "./deployments";

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

/** The RPC URL the dashboard reads a chain through. */
export function rpcUrlOf(id: number | undefined): string | undefined {
  if (id === localChain.id) return localRpcUrl;
  if (id === undefined) return undefined;
  return (
    deployments[id]?.rpcUrl ?? supportedChains.find((c) => c.id === id)?.rpcUrls.default.http[0]
  );
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
    [sepolia.id]: http(deployments[sepolia.id]?.rpcUrl),
  },
  pollingInterval: 1_000,
});

declare module "wagmi" {
  interface Register {
    config: typeof wagmiConfig;
  }
}
