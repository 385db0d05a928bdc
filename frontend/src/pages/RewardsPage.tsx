import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo } from "react";
import {
  useConnection,
  useReadContracts,
  useWaitForTransactionReceipt,
  useWriteContract,
} from "wagmi";
import { contributionLedgerAbi, rewardTokenAbi } from "../../../chain/generated/abis";
import { useRuns } from "../api/queries";
import { BlockLink, TxLink } from "../components/ChainLink";
import { Notice } from "../components/Notice";
import { RewardsCard, type ClaimState } from "../components/RewardsCard";
import { WalletButton } from "../components/WalletButton";
import { walletErrorMessage } from "../chain/errors";
import { useActiveDeployment } from "../chain/use-deployment";
import { useLedger } from "../chain/use-ledger";
import { useTokenSymbol } from "../chain/use-token";
import { isSupportedChainId } from "../chain/wagmi-config";
import { formatTokens, shortHex } from "../format";

export function RewardsPage() {
  const { address, status, chainId: walletChainId } = useConnection();
  const active = useActiveDeployment();
  const dep = active.deployment;
  const chainId = isSupportedChainId(active.chainId) ? active.chainId : undefined;
  const ledgerAddress = dep?.contracts.ContributionLedger.address as `0x${string}` | undefined;
  const tokenAddress = dep?.contracts.RewardToken.address as `0x${string}` | undefined;
  const symbol = useTokenSymbol(dep);
  const enabled = !!address && !!ledgerAddress && !!tokenAddress && !!chainId;
  const reads = useReadContracts({
    allowFailure: false,
    contracts: [
      {
        chainId,
        address: ledgerAddress,
        abi: contributionLedgerAbi,
        functionName: "claimable",
        args: [address!],
      },
      {
        chainId,
        address: ledgerAddress,
        abi: contributionLedgerAbi,
        functionName: "totalClaimed",
        args: [address!],
      },
      {
        chainId,
        address: tokenAddress,
        abi: rewardTokenAbi,
        functionName: "balanceOf",
        args: [address!],
      },
    ],
    query: { enabled, refetchInterval: 4_000, retry: 1 },
  });
  const [claimable, claimed, balance] = reads.data ?? [];

  const write = useWriteContract();
  const receipt = useWaitForTransactionReceipt({
    hash: write.data,
    chainId,
    query: { enabled: !!write.data },
  });
  const confirmed = receipt.data?.status === "success";
  const { refetch } = reads;
  const qc = useQueryClient();
  useEffect(() => {
    if (!receipt.data) return;
    // The claim's block changes the amounts, the Claimed event list and the header's block.
    void refetch();
    void qc.invalidateQueries({ queryKey: ["ledger"] });
    void qc.invalidateQueries({ queryKey: ["blockNumber"] });
  }, [receipt.data, refetch, qc]);

  let claim: ClaimState = { phase: "idle" };
  if (write.isPending) claim = { phase: "signing" };
  else if (write.isError) claim = { phase: "failed", message: walletErrorMessage(write.error) };
  else if (write.data) {
    if (receipt.isError)
      claim = { phase: "failed", message: walletErrorMessage(receipt.error), hash: write.data };
    else if (receipt.data?.status === "reverted")
      claim = {
        phase: "failed",
        message: "The transaction was reverted by the contract.",
        hash: write.data,
      };
    else if (confirmed) claim = { phase: "confirmed", hash: write.data };
    else claim = { phase: "pending", hash: write.data };
  }

  const ledger = useLedger(dep);
  const runs = useRuns();
  const runNames = useMemo(
    () =>
      new Map(
        (runs.data ?? [])
          .filter((r) => r.chainRunId)
          .map((r) => [r.chainRunId!.toLowerCase(), r.name]),
      ),
    [runs.data],
  );
  const mine = useMemo(() => {
    const a = address?.toLowerCase();
    return {
      contributions: (ledger.data?.contributions ?? [])
        .filter((c) => c.node.toLowerCase() === a)
        .reverse(),
      claims: (ledger.data?.claims ?? []).filter((c) => c.node.toLowerCase() === a).reverse(),
    };
  }, [ledger.data, address]);

  const readError = !dep
    ? "No contract deployment is known for this chain: start the stack with `npm start`."
    : reads.isError
      ? `The chain did not answer (${reads.error.message.split("\n")[0]}). Is it running (\`npm start\`)?`
      : undefined;

  return (
    <div className="page">
      <h1>My rewards</h1>
      <RewardsCard
        connected={status === "connected"}
        address={address}
        chainId={active.chainId}
        recorded={
          claimable !== undefined && claimed !== undefined ? claimable + claimed : undefined
        }
        claimed={claimed}
        claimable={claimable}
        balance={balance}
        symbol={symbol}
        claim={claim}
        readError={readError}
        wrongNetwork={status === "connected" && walletChainId !== active.chainId}
        onClaim={() => {
          if (!ledgerAddress || !chainId) return;
          write.reset();
          write.mutate({
            chainId,
            address: ledgerAddress,
            abi: contributionLedgerAbi,
            functionName: "claimAll",
          });
        }}
        connectButton={<WalletButton targetChainId={active.chainId} />}
      />
      {status === "connected" && (
        <div className="grid-2">
          <section className="card">
            <h2>My contributions</h2>
            {mine.contributions.length === 0 ? (
              <p className="muted">No contribution from this wallet is recorded on chain.</p>
            ) : (
              <div className="table-wrap">
                <table data-testid="my-contributions">
                  <thead>
                    <tr>
                      <th>Run</th>
                      <th>Round</th>
                      <th className="num">Reward</th>
                      <th>Tx</th>
                    </tr>
                  </thead>
                  <tbody>
                    {mine.contributions.slice(0, 100).map((c) => (
                      <tr key={`${c.txHash}:${c.logIndex}`}>
                        <td>
                          {runNames.get(c.chainRunId.toLowerCase()) ??
                            shortHex(c.chainRunId, 10, 4)}
                        </td>
                        <td>{c.round}</td>
                        <td className="num">
                          {formatTokens(c.reward)} {symbol}
                        </td>
                        <td>
                          <TxLink hash={c.txHash} chainId={active.chainId} />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>
          <section className="card">
            <h2>My claims</h2>
            {mine.claims.length === 0 ? (
              <p className="muted">No claims yet.</p>
            ) : (
              <div className="table-wrap">
                <table data-testid="my-claims">
                  <thead>
                    <tr>
                      <th className="num">Amount</th>
                      <th>Tx</th>
                      <th>Block</th>
                    </tr>
                  </thead>
                  <tbody>
                    {mine.claims.map((c) => (
                      <tr key={c.txHash}>
                        <td className="num">
                          {formatTokens(c.amount)} {symbol}
                        </td>
                        <td>
                          <TxLink hash={c.txHash} chainId={active.chainId} />
                        </td>
                        <td>
                          <BlockLink block={c.blockNumber} chainId={active.chainId} />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>
        </div>
      )}
      {status === "connected" && active.chainId === 31337 && (
        <Notice kind="info" title="Claiming for a simulated node">
          Simulated node <code>sim-k</code> uses Hardhat dev account #k (from the public test
          mnemonic). Import that key into MetaMask to claim its rewards on the local chain.
        </Notice>
      )}
    </div>
  );
}
