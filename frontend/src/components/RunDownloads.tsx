// A run's results as files (GET /api/runs/:id/export): everything as JSON, or one table as CSV.
import { EXPORT_TABLES } from "../../../backend/src/domain/index";
import { exportUrl } from "../api/client";

export function RunDownloads({ runId }: { runId: string }) {
  return (
    <div className="export-buttons" data-testid="run-downloads">
      <span className="muted small">Download results:</span>
      <a
        className="button small"
        href={exportUrl(runId, "json")}
        download={`${runId}.json`}
        data-testid="export-json"
      >
        JSON
      </a>
      {EXPORT_TABLES.map((t) => (
        <a
          key={t}
          className="button small"
          href={exportUrl(runId, "csv", t)}
          download={`${runId}-${t}.csv`}
          data-testid={`export-csv-${t}`}
        >
          {t} CSV
        </a>
      ))}
    </div>
  );
}
