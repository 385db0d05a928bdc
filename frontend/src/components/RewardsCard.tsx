import type { ReactNode } from "react";
import { formatTokens } from "../format";
import { Notice } from "./Notice";
import { TxLink } from "./ChainLink";

export type ClaimState =
  | { phase: "idle" }
  | { phase: "signing" }
  | { phase: "pending"; hash: string }
  | { phase: "confirmed"; hash: string }
  | { phase: "failed"; message: string; hash?: string };

export interface RewardsCardProps {
  connected: boolean;
  address?: string;
  chainId?: number;
  /** All in token wei, read from the chain; undefined while loading. */
  recorded?: bigint;
  claimed?: bigint;
  claimable?: bigint;
  balance?: bigint;
  symbol: string;
  claim: ClaimState;
  onClaim: () => void;
  /** Why the numbers could not be read (chain down, no deployment...). */
  readError?: string;
  /** The wallet is on a chain other than the ledger's; the header offers the switch. */
  wrongNetwork?: boolean;
  connectButton?: ReactNode;
}

function Amount({
  label,
  wei,
  symbol,
  testId,
}: {
  label: string;
  wei?: bigint;
  symbol: string;
  testId: string;
}) {
  return (
    <div className="stat">
      <span className="stat-label">{label}</span>
      <span className="stat-value" data-testid={testId} data-wei={wei?.toString()}>
        {formatTokens(wei)} <small>{symbol}</small>
      </span>
    </div>
  );
}

function ClaimStatus({ claim, chainId }: { claim: ClaimState; chainId?: number }) {
  switch (claim.phase) {
    case "idle":
      return null;
    case "signing":
      return (
        <Notice kind="info" title="Waiting for your signature">
          Confirm the claim transaction in your wallet.
        </Notice>
      );
    case "pending":
      return (
        <Notice kind="info" title="Claim pending">
          Sent as <TxLink hash={claim.hash} chainId={chainId} />; waiting for a block.
        </Notice>
      );
    case "confirmed":
      return (
        <Notice kind="success" title="Claim confirmed">
          The tokens are in your wallet: <TxLink hash={claim.hash} chainId={chainId} />.
        </Notice>
      );
    case "failed":
      return (
        <Notice kind="error" title="Claim failed">
          {claim.message}
          {claim.hash && (
            <>
              {" "}
              (<TxLink hash={claim.hash} chainId={chainId} />)
            </>
          )}
        </Notice>
      );
  }
}

/** A wallet's rewards: recorded, claimed, claimable and held, with the Claim button. */
export function RewardsCard(props: RewardsCardProps) {
  if (!props.connected)
    return (
      <section className="card" aria-label="My rewards">
        <Notice kind="empty" title="Connect your wallet" action={props.connectButton}>
          Connect the wallet your node was registered with to see its recorded, claimed and
          claimable tokens.
        </Notice>
      </section>
    );

  const busy = props.claim.phase === "signing" || props.claim.phase === "pending";
  const nothing = props.claimable !== undefined && props.claimable === 0n;
  return (
    <section className="card rewards-card" aria-label="My rewards">
      <div className="card-head">
        <h2>
          Rewards of {props.address ? <span className="mono">{props.address}</span> : "this wallet"}
        </h2>
      </div>
      {props.readError ? (
        <Notice kind="error" title="Cannot read rewards from the chain">
          {props.readError}
        </Notice>
      ) : (
        <div className="stats">
          <Amount
            label="Recorded"
            wei={props.recorded}
            symbol={props.symbol}
            testId="rewards-recorded"
          />
          <Amount
            label="Claimed"
            wei={props.claimed}
            symbol={props.symbol}
            testId="rewards-claimed"
          />
          <Amount
            label="Claimable"
            wei={props.claimable}
            symbol={props.symbol}
            testId="rewards-claimable"
          />
          <Amount
            label="Wallet balance"
            wei={props.balance}
            symbol={props.symbol}
            testId="rewards-balance"
          />
        </div>
      )}
      {props.wrongNetwork ? (
        <Notice kind="warn" title="Wrong network">
          Switch your wallet to the ledger&apos;s network (button in the header) to claim.
        </Notice>
      ) : (
        !props.readError &&
        nothing &&
        props.claim.phase !== "confirmed" && (
          <Notice kind="empty" title="Nothing to claim yet">
            This wallet has no unclaimed rewards. Rewards are credited when a round your node
            contributed to is recorded on chain; check the Ledger page for its contributions.
          </Notice>
        )
      )}
      <div className="form-actions">
        <button
          type="button"
          className="button primary"
          data-testid="claim-button"
          disabled={
            busy ||
            nothing ||
            props.claimable === undefined ||
            !!props.wrongNetwork ||
            !!props.readError
          }
          onClick={props.onClaim}
        >
          {props.claim.phase === "signing"
            ? "Confirm in wallet…"
            : props.claim.phase === "pending"
              ? "Claiming…"
              : `Claim ${props.claimable && props.claimable > 0n ? `${formatTokens(props.claimable)} ${props.symbol}` : ""}`.trim()}
        </button>
      </div>
      <div data-testid="claim-status" data-phase={props.claim.phase}>
        <ClaimStatus claim={props.claim} chainId={props.chainId} />
      </div>
    </section>
  );
}
