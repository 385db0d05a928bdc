// A run's model versions: one row per round with its hash, test metrics, chain transaction, size and
// whether retention kept it. Clicking a row selects the version.
import type { ModelVersion } from "../../api/client";
import { formatBytes, formatNumber, formatPercent, shortHex } from "../../format";
import { TxLink } from "../ChainLink";

export interface VersionsTableProps {
  versions: readonly ModelVersion[];
  selected: number | undefined;
  onSelect: (round: number) => void;
  chainId?: number | undefined;
}

export function VersionsTable({ versions, selected, onSelect, chainId }: VersionsTableProps) {
  return (
    <div className="table-wrap">
      <table data-testid="model-versions" className="selectable">
        <thead>
          <tr>
            <th>Round</th>
            <th>Hash</th>
            <th>Accuracy</th>
            <th>Loss</th>
            <th>Tx</th>
            <th>Size</th>
            <th>Weights</th>
          </tr>
        </thead>
        <tbody>
          {[...versions].reverse().map((v) => (
            <tr
              key={v.round}
              data-round={v.round}
              data-hash={v.hash}
              data-stored={v.stored}
              aria-selected={v.round === selected}
              className={v.round === selected ? "selected" : undefined}
              onClick={() => onSelect(v.round)}
            >
              <td>
                <button
                  type="button"
                  className="link-button"
                  aria-label={`Select version ${v.round}`}
                >
                  {v.round === 0 ? "0 (start)" : v.round}
                </button>
                {v.best && (
                  <span className="badge badge-ok" data-testid="best-version" title="best version">
                    best
                  </span>
                )}
              </td>
              <td className="mono" title={v.hash}>
                {shortHex(v.hash, 10, 6)}
              </td>
              <td>{formatPercent(v.testAccuracy, 2)}</td>
              <td>{formatNumber(v.testLoss)}</td>
              <td>
                {v.round === 0 ? (
                  <span className="muted">—</span>
                ) : (
                  <TxLink hash={v.txHash} chainId={chainId} />
                )}
              </td>
              <td>{formatBytes(v.bytes)}</td>
              <td className={v.stored ? undefined : "muted"}>{v.stored ? "stored" : "pruned"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
