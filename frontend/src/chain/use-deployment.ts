import { useConnection } from "wagmi";
import { useHealth } from "../api/queries";
import { deployments, resolveDeployment, type Deployment } from "./deployments";
import { localChain } from "./wagmi-config";

export interface ActiveDeployment {
  chainId: number | undefined;
  deployment: Deployment | undefined;
  /** The bundled deployment file disagrees with what the coordinator reports. */
  stale: boolean;
  /** Where the chain id came from. */
  source: "coordinator" | "wallet" | "default" | "none";
}

/**
 * The chain and contracts the dashboard reads: the coordinator's chain when it answers; otherwise
 * the connected wallet's chain when a deployment exists for it; otherwise the local chain.
 */
export function useActiveDeployment(): ActiveDeployment {
  const health = useHealth();
  const { chainId: walletChainId } = useConnection();
  const reported = health.data?.chain;
  if (reported?.chainId !== undefined) {
    const { deployment, stale } = resolveDeployment(reported.chainId, reported.contracts);
    return { chainId: reported.chainId, deployment, stale, source: "coordinator" };
  }
  if (walletChainId !== undefined && deployments[walletChainId])
    return {
      chainId: walletChainId,
      deployment: deployments[walletChainId],
      stale: false,
      source: "wallet",
    };
  const fallback = deployments[localChain.id]
    ? localChain.id
    : Object.values(deployments)[0]?.chainId;
  return {
    chainId: fallback,
    deployment: fallback === undefined ? undefined : deployments[fallback],
    stale: false,
    source: fallback === undefined ? "none" : "default",
  };
}
