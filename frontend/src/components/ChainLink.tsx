import { shortHex } from "../format";
import { href } from "../router";
import { explorerUrl } from "../chain/wagmi-config";

/**
 * A link to a transaction or block: the chain's explorer when it has one (Sepolia), otherwise the
 * dashboard's own view of it, read from the chain.
 */
export function TxLink({ hash, chainId }: { hash: string | null | undefined; chainId?: number }) {
  if (!hash) return <span className="muted">not yet</span>;
  const explorer = explorerUrl(chainId);
  return (
    <a
      className="mono"
      href={explorer ? `${explorer}/tx/${hash}` : href(`/tx/${hash}`)}
      target={explorer ? "_blank" : undefined}
      rel={explorer ? "noreferrer" : undefined}
      title={hash}
    >
      {shortHex(hash, 10, 6)}
    </a>
  );
}

export function BlockLink({ block, chainId }: { block: bigint | number; chainId?: number }) {
  const explorer = explorerUrl(chainId);
  const n = block.toString();
  return (
    <a
      className="mono"
      href={explorer ? `${explorer}/block/${n}` : href(`/block/${n}`)}
      target={explorer ? "_blank" : undefined}
      rel={explorer ? "noreferrer" : undefined}
    >
      #{n}
    </a>
  );
}

export function AddressText({ address }: { address: string | null | undefined }) {
  if (!address) return <span className="muted">—</span>;
  return (
    <span className="mono" title={address}>
      {shortHex(address)}
    </span>
  );
}
