/**
 * `value` as one line of JSON for scripts: a bigint becomes its decimal string (JSON numbers
 * lose precision past 2^53), a Date its ISO 8601 UTC string, an undefined field is left out.
 */
export function jsonLine(value: unknown): string {
  return (
    JSON.stringify(value, (_key, field: unknown) => (typeof field === 'bigint' ? field.toString() : field)) +
    '\n'
  );
}

/** The same, indented by two spaces: what `call` prints for one response, for people and jq. */
export function jsonDocument(value: unknown): string {
  return (
    JSON.stringify(
      value,
      (_key, field: unknown) => (typeof field === 'bigint' ? field.toString() : field),
      2,
    ) + '\n'
  );
}
