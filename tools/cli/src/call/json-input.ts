import { MalformedJsonError } from '../cli.errors.js';

/** 1-based line and column of a character offset in `text`. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

/**
 * `text` parsed as JSON, or MalformedJsonError naming `source` (`the request argument`,
 * `stdin line 3`), where the parser stopped (line and column) and what it expected.
 */
export function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const position = /at position (\d+)/.exec(message);
    const offset = position ? Number(position[1]) : text.length;
    const { line, column } = lineAndColumn(text, offset);
    const reason = message.replace(/\s*(in JSON )?at position \d+.*$/s, '').replace(/^JSON\.parse: /, '');
    const where = text.includes('\n') ? `line ${line}, column ${column}` : `column ${column}`;
    throw new MalformedJsonError(`${source} is not JSON: ${reason} at ${where}`, { cause: error });
  }
}
