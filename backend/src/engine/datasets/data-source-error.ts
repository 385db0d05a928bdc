/**
 * A problem with a user's own data (an image folder or a CSV/TSV table): the message says which
 * file (and row/column for a table), what was expected and what was found, so the user can fix
 * the data. `file`, `row` (1-based data row, the header not counted) and `column` repeat those
 * details for callers that present them separately.
 */
export class DataSourceError extends Error {
  readonly file?: string;
  readonly row?: number;
  readonly column?: string;

  constructor(message: string, where: { file?: string; row?: number; column?: string } = {}) {
    super(message);
    this.name = "DataSourceError";
    if (where.file !== undefined) this.file = where.file;
    if (where.row !== undefined) this.row = where.row;
    if (where.column !== undefined) this.column = where.column;
  }
}
