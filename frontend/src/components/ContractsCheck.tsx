import { useBytecode } from "wagmi";
import { useActiveDeployment, type ActiveDeployment } from "../chain/use-deployment";
import { chainName, isSupportedChainId, rpcUrlOf } from "../chain/wagmi-config";
import { Notice } from "./Notice";

/** Why the contracts the dashboard reads are not where it reads them, in words to act on. */
export function MissingContracts(props: {
  active: Pick<ActiveDeployment, "chainId" | "source">;
  ledgerAddress: string;
  rpcUrl: string | undefined;
}) {
  const { active } = props;
  return (
    <>
      There is no ContributionLedger at <span className="mono">{props.ledgerAddress}</span> on{" "}
      {chainName(active.chainId)} at{" "}
      <span className="mono">{props.rpcUrl ?? "an unknown RPC"}</span>.{" "}
      {active.source === "coordinator" ? (
        <>The coordinator reports these addresses, so it and this dashboard read different chains</>
      ) : (
        <>
          The deployment file (<code>DEPLOYMENT_FILE</code>, or chain/deployments/{active.chainId}
          .json) describes another chain instance
        </>
      )}
      : start the chain, coordinator and dashboard together with <code>npm start</code>, or start
      the dashboard with the <code>CHAIN_RPC_URL</code> and <code>DEPLOYMENT_FILE</code> the
      coordinator uses.
    </>
  );
}

/**
 * Checks that the ledger contract exists on the chain this dashboard reads. Without it every
 * contract read fails or never resolves and the pages would show dashes with no reason why.
 */
export function ContractsCheck() {
  const active = useActiveDeployment();
  const chainId = isSupportedChainId(active.chainId) ? active.chainId : undefined;
  const ledger = active.deployment?.contracts.ContributionLedger.address as
    `0x${string}` | undefined;
  const code = useBytecode({
    chainId,
    address: ledger,
    query: { enabled: !!chainId && !!ledger, refetchInterval: 10_000, retry: 0 },
  });
  if (!ledger || !code.isSuccess || (code.data && code.data !== "0x")) return null;
  return (
    <div className="app-banner" data-testid="contracts-missing">
      <Notice kind="error" title="No FedLedger contracts on this chain">
        <MissingContracts active={active} ledgerAddress={ledger} rpcUrl={rpcUrlOf(chainId)} />
      </Notice>
    </div>
  );
}
