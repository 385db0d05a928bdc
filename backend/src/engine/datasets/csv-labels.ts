// How many rows of a table carry each label value: one streamed pass reading only the label
// column, for what a node agent announces before any run tells it how to encode its features.
import { createReadStream } from "node:fs";
import { parse } from "csv-parse";
import { DataSourceError } from "./data-source-error.js";

export async function countCsvLabels(
  file: string,
  label: string,
  delimiter: "," | "\t" = /\.tsv$/i.test(file) ? "\t" : ",",
): Promise<{ counts: Map<string, number>; columns: string[] }> {
  const counts = new Map<string, number>();
  const parser = createReadStream(file).pipe(
    parse({ delimiter, relax_column_count: true, skip_empty_lines: true, bom: true }),
  );
  let column = -1;
  let columns: string[] = [];
  let row = 0;
  for await (const record of parser as AsyncIterable<string[]>) {
    if (column < 0) {
      columns = record.map((h) => h.trim());
      column = columns.indexOf(label);
      if (column < 0)
        throw new DataSourceError(
          `${file}: no label column "${label}" (columns: ${record.join(", ")}); pass --label <column>`,
          { file },
        );
      continue;
    }
    row++;
    const v = record[column]?.trim();
    if (!v)
      throw new DataSourceError(`${file}: row ${row} has no label`, { file, row, column: label });
    counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  if (row === 0) throw new DataSourceError(`${file}: the table has no data rows`, { file });
  return { counts, columns };
}
