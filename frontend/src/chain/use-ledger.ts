import { useQuery } from "@tanstack/react-query";
import { usePublicClient } from "wagmi";
import type { Deployment } from "./deployments";
import { readLedger } from "../../../backend/src/chain/ledger-events";
import { isSupportedChainId } from "./wagmi-config";

/** Every ContributionLedger event, read from the chain through viem and refreshed every few s. */
export function useLedger(deployment: Deployment | undefined) {
  const chainId = isSupportedChainId(deployment?.chainId) ? deployment.chainId : undefined;
  const client = usePublicClient({ chainId });
  return useQuery({
    queryKey: [
      "ledger",
      deployment?.chainId ?? 0,
      deployment?.contracts.ContributionLedger.address ?? "",
    ],
    queryFn: () => {
      if (!client || !deployment) throw new Error("no chain client");
      return readLedger(client, deployment);
    },
    enabled: !!client && !!deployment,
    refetchInterval: 4_000,
    retry: 1,
  });
}
