import { useState } from "react";
import { useConnect, useConnection, useConnectors, useDisconnect, useSwitchChain } from "wagmi";
import type { Connector } from "wagmi";
import { shortHex } from "../format";
import { walletErrorMessage } from "../chain/errors";
import { chainName, isSupportedChainId } from "../chain/wagmi-config";

/** EIP-6963 wallets (they have an rdns) first; the generic injected one only when alone. */
export function pickConnectors(connectors: readonly Connector[]): Connector[] {
  const announced = connectors.filter((c) => c.type === "injected" && c.id !== "injected");
  return announced.length > 0 ? announced : connectors.filter((c) => c.id === "injected");
}

/**
 * Connect with MetaMask (or any EIP-6963 wallet); when the wallet is on another network than the
 * ledger's, one click switches it (adding the local chain to the wallet when it does not know it).
 */
export function WalletButton({ targetChainId }: { targetChainId: number | undefined }) {
  const connection = useConnection();
  const connectors = pickConnectors(useConnectors());
  const connect = useConnect();
  const disconnect = useDisconnect();
  const switchChain = useSwitchChain();
  const [error, setError] = useState<string>();

  if (connection.status === "connected" && connection.address) {
    const wrong = targetChainId !== undefined && connection.chainId !== targetChainId;
    return (
      <div className="wallet" data-testid="wallet">
        {wrong ? (
          <button
            type="button"
            className="button warn"
            data-testid="switch-network"
            disabled={switchChain.isPending || !isSupportedChainId(targetChainId)}
            onClick={() => {
              setError(undefined);
              if (isSupportedChainId(targetChainId))
                switchChain.mutate(
                  { chainId: targetChainId },
                  { onError: (e) => setError(walletErrorMessage(e)) },
                );
            }}
            title={`Your wallet is on ${chainName(connection.chainId)}; the ledger is on ${chainName(targetChainId)}.`}
          >
            {switchChain.isPending
              ? "Switching…"
              : `Wrong network: switch to ${chainName(targetChainId)}`}
          </button>
        ) : (
          <span className="wallet-chain">{chainName(connection.chainId)}</span>
        )}
        <span
          className="wallet-address mono"
          title={connection.address}
          data-testid="wallet-address"
        >
          {shortHex(connection.address)}
        </span>
        <button type="button" className="button ghost" onClick={() => disconnect.mutate()}>
          Disconnect
        </button>
        {error && (
          <span className="wallet-error" role="alert">
            {error}
          </span>
        )}
      </div>
    );
  }

  const busy =
    connection.status === "connecting" || connection.status === "reconnecting" || connect.isPending;
  return (
    <div className="wallet">
      {connectors.map((c) => (
        <button
          key={c.uid}
          type="button"
          className="button primary"
          data-testid="connect-wallet"
          disabled={busy}
          onClick={() => {
            setError(undefined);
            connect.mutate(
              { connector: c },
              {
                onError: (e) =>
                  setError(
                    /provider not found/i.test(e.message)
                      ? "No browser wallet found: install MetaMask, then reload."
                      : walletErrorMessage(e),
                  ),
              },
            );
          }}
        >
          {c.icon && <img src={c.icon} alt="" width={16} height={16} />}
          {busy ? "Connecting…" : c.id === "injected" ? "Connect wallet" : `Connect ${c.name}`}
        </button>
      ))}
      {error && (
        <span className="wallet-error" role="alert">
          {error}
        </span>
      )}
    </div>
  );
}
