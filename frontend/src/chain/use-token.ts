import { useReadContract } from "wagmi";
import { rewardTokenAbi } from "../../../chain/generated/abis";
import type { Deployment } from "./deployments";
import { isSupportedChainId } from "./wagmi-config";

/** The reward token's symbol, read from the chain ("tokens" until it answers). */
export function useTokenSymbol(deployment: Deployment | undefined): string {
  const chainId = isSupportedChainId(deployment?.chainId) ? deployment.chainId : undefined;
  const symbol = useReadContract({
    chainId,
    address: deployment?.contracts.RewardToken.address as `0x${string}` | undefined,
    abi: rewardTokenAbi,
    functionName: "symbol",
    query: { enabled: !!deployment && !!chainId, staleTime: Infinity },
  });
  return symbol.data ?? "tokens";
}
