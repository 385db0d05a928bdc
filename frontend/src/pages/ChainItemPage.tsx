import { useQuery } from "@tanstack/react-query";
import { parseEventLogs, type Hex } from "viem";
import { usePublicClient } from "wagmi";
import { contributionLedgerAbi, rewardTokenAbi } from "../../../chain/generated/abis";
import { AddressText, BlockLink, TxLink } from "../components/ChainLink";
import { Notice } from "../components/Notice";
import { useActiveDeployment } from "../chain/use-deployment";
import { isSupportedChainId } from "../chain/wagmi-config";
import { formatTime } from "../format";

function stringify(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" ? x.toString() : x));
}

/** A transaction or block of the local chain (which has no explorer), read through viem. */
export function ChainItemPage({ kind, id }: { kind: "tx" | "block"; id: string }) {
  const { chainId } = useActiveDeployment();
  const client = usePublicClient({ chainId: isSupportedChainId(chainId) ? chainId : undefined });
  const item = useQuery({
    queryKey: ["chain-item", kind, id, chainId],
    enabled: !!client,
    queryFn: async () => {
      if (!client) throw new Error("no chain client");
      if (kind === "tx") {
        const receipt = await client.getTransactionReceipt({ hash: id as Hex });
        const events = parseEventLogs({
          abi: [...contributionLedgerAbi, ...rewardTokenAbi],
          logs: receipt.logs,
        });
        return { kind, receipt, events } as const;
      }
      return { kind, block: await client.getBlock({ blockNumber: BigInt(id) }) } as const;
    },
  });
  return (
    <div className="page">
      <h1>{kind === "tx" ? "Transaction" : `Block #${id}`}</h1>
      {item.isError && (
        <Notice kind="error" title="Not found on this chain">
          {item.error.message.split("\n")[0]}
        </Notice>
      )}
      {item.data?.kind === "tx" && (
        <section className="card">
          <dl className="kv">
            <dt>Hash</dt>
            <dd className="mono small">{id}</dd>
            <dt>Status</dt>
            <dd>{item.data.receipt.status}</dd>
            <dt>Block</dt>
            <dd>
              <BlockLink block={item.data.receipt.blockNumber} chainId={chainId} />
            </dd>
            <dt>From</dt>
            <dd>
              <AddressText address={item.data.receipt.from} />
            </dd>
            <dt>To</dt>
            <dd>
              <AddressText address={item.data.receipt.to} />
            </dd>
            <dt>Gas used</dt>
            <dd>{item.data.receipt.gasUsed.toLocaleString("en-US")}</dd>
          </dl>
          <h2>Events</h2>
          <ul className="event-list">
            {item.data.events.map((e) => (
              <li key={e.logIndex}>
                <strong>{e.eventName}</strong>{" "}
                <span className="mono small">{stringify(e.args)}</span>
              </li>
            ))}
          </ul>
        </section>
      )}
      {item.data?.kind === "block" && (
        <section className="card">
          <dl className="kv">
            <dt>Hash</dt>
            <dd className="mono small">{item.data.block.hash}</dd>
            <dt>Time</dt>
            <dd>{formatTime(Number(item.data.block.timestamp) * 1000)}</dd>
            <dt>Gas used</dt>
            <dd>{item.data.block.gasUsed.toLocaleString("en-US")}</dd>
            <dt>Transactions</dt>
            <dd>
              {item.data.block.transactions.map((h) => (
                <div key={String(h)}>
                  <TxLink hash={String(h)} chainId={chainId} />
                </div>
              ))}
            </dd>
          </dl>
        </section>
      )}
    </div>
  );
}
