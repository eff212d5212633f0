/** A cell: text as is; a value without one (`undefined`) shows as `-`. */
export type Cell = string | number | bigint | undefined;

const EMPTY_CELL = '-';
const COLUMN_GAP = '  ';

/** Characters a terminal shows in one column each (no escapes, tabs or line breaks in a cell). */
function cellText(cell: Cell): string {
  if (cell === undefined || cell === '') return EMPTY_CELL;
  // a control character in a name from the registry must not move the cursor or break the row
  return String(cell).replace(/[\u0000-\u001f\u007f]/g, ' ');
}

/**
 * Rows under upper-case headers, each column as wide as its widest cell, separated by two
 * spaces, with no trailing spaces; one line per row, each ending in a newline. Empty cells
 * show `-` so that columns stay countable by `awk`.
 */
export function formatTable(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const texts = [headers.map((header) => header.toUpperCase()), ...rows.map((row) => row.map(cellText))];
  const widths = headers.map((_, column) => Math.max(...texts.map((row) => (row[column] ?? '').length)));
  return texts
    .map(
      (row) =>
        headers
          .map((_, column) => (row[column] ?? '').padEnd(widths[column]))
          .join(COLUMN_GAP)
          .trimEnd() + '\n',
    )
    .join('');
}
