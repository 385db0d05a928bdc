import { useBlockNumber } from "wagmi";
import { useHealth } from "../api/queries";
import { useActiveDeployment } from "../chain/use-deployment";
import { chainName, isSupportedChainId, rpcUrlOf } from "../chain/wagmi-config";
import { href } from "../router";
import { AlertBadge } from "./AlertBadge";
import { WalletButton } from "./WalletButton";

export const NAV = [
  { path: "/", label: "Overview" },
  { path: "/training", label: "Training" },
  { path: "/compare", label: "Compare" },
  { path: "/nodes", label: "Nodes" },
  { path: "/ledger", label: "Ledger" },
  { path: "/rewards", label: "My rewards" },
  { path: "/alerts", label: "Alerts" },
] as const;

function Dot({ tone }: { tone: "ok" | "warn" | "bad" | "muted" }) {
  return <span className={`dot dot-${tone}`} aria-hidden="true" />;
}

/** Chain and coordinator status at a glance, plus the wallet. */
export function Header({ path }: { path: string }) {
  const health = useHealth();
  const active = useActiveDeployment();
  const block = useBlockNumber({
    chainId: isSupportedChainId(active.chainId) ? active.chainId : undefined,
    query: { refetchInterval: 4_000, enabled: isSupportedChainId(active.chainId), retry: 0 },
  });
  const coordinatorUp = health.isSuccess;
  const chainUp = block.isSuccess;

  return (
    <header className="app-header">
      <div className="brand">
        <a href={href("/")} className="brand-link">
          <span className="brand-mark" aria-hidden="true">
            ◆
          </span>
          FedLedger
        </a>
      </div>
      <nav className="app-nav" aria-label="Main">
        {NAV.map((n) => (
          <a
            key={n.path}
            href={href(n.path)}
            className={path === n.path ? "active" : undefined}
            aria-current={path === n.path ? "page" : undefined}
          >
            {n.label}
          </a>
        ))}
      </nav>
      <div className="header-status" data-testid="header-status">
        <AlertBadge />
        <span
          className="status-pill"
          title={health.data ? `coordinator ${health.data.status}` : "coordinator not answering"}
        >
          <Dot
            tone={
              coordinatorUp
                ? health.data.status === "ok"
                  ? "ok"
                  : "warn"
                : health.isPending
                  ? "muted"
                  : "bad"
            }
          />
          {coordinatorUp ? "Coordinator" : health.isPending ? "Coordinator…" : "Coordinator down"}
        </span>
        <span
          className="status-pill"
          data-testid="chain-status"
          data-block={block.data?.toString()}
          title={
            active.chainId
              ? `${chainName(active.chainId)} (${active.chainId}) read through ${rpcUrlOf(active.chainId) ?? "no RPC"}`
              : "no chain"
          }
        >
          <Dot tone={chainUp ? "ok" : block.isPending ? "muted" : "bad"} />
          {chainUp
            ? `${chainName(active.chainId)} · #${block.data.toString()}`
            : block.isPending && active.chainId
              ? `${chainName(active.chainId)}…`
              : "Chain down"}
        </span>
        <WalletButton targetChainId={active.chainId} />
      </div>
    </header>
  );
}
