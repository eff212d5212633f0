// A reader of the Prometheus text exposition format (version 0.0.4), as far as the dashboard
// needs it: every sample with its labels. Comments (# HELP, # TYPE) are skipped; label values
// may hold escaped quotes, backslashes and newlines, and commas or braces inside quotes.
import { PrometheusParseError } from '../dashboard.errors.js';

export interface PrometheusSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const ESCAPES: Record<string, string> = { '\\': '\\', '"': '"', n: '\n' };

/** Parses the whole text; a malformed line throws PrometheusParseError naming it. */
export function parsePrometheusText(text: string): PrometheusSample[] {
  const samples: PrometheusSample[] = [];
  const lines = text.split('\n');
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    samples.push(parseSample(line, index + 1));
  }
  return samples;
}

function parseSample(line: string, lineNumber: number): PrometheusSample {
  const name = METRIC_NAME.exec(line)?.[0];
  if (!name) throw new PrometheusParseError(lineNumber, 'no metric name');
  let rest = line.slice(name.length);
  let labels: Record<string, string> = {};
  if (rest.startsWith('{')) {
    const parsed = parseLabels(rest, lineNumber);
    labels = parsed.labels;
    rest = rest.slice(parsed.length);
  }
  const [valueText] = rest.trim().split(/\s+/);
  const value = parseValue(valueText ?? '');
  if (value === undefined) throw new PrometheusParseError(lineNumber, `"${valueText}" is not a sample value`);
  return { name, labels, value };
}

/** Reads `{a="1",b="x\"y"}` from the start of `text`; returns the labels and the length read. */
function parseLabels(text: string, lineNumber: number): { labels: Record<string, string>; length: number } {
  const labels: Record<string, string> = {};
  let position = 1;
  const skipSpaces = () => {
    while (text[position] === ' ') position++;
  };
  for (;;) {
    skipSpaces();
    if (text[position] === '}') return { labels, length: position + 1 };
    const name = LABEL_NAME.exec(text.slice(position))?.[0];
    if (!name) throw new PrometheusParseError(lineNumber, 'a label name was expected');
    position += name.length;
    skipSpaces();
    const equals = text[position] === '=';
    if (equals) position++;
    skipSpaces();
    if (!equals || text[position] !== '"')
      throw new PrometheusParseError(lineNumber, `label ${name} has no quoted value`);
    position++;
    let value = '';
    while (text[position] !== '"') {
      if (position >= text.length)
        throw new PrometheusParseError(lineNumber, `label ${name}: unterminated value`);
      if (text[position] === '\\') {
        const escaped = ESCAPES[text[position + 1] ?? ''];
        value += escaped ?? `\\${text[position + 1] ?? ''}`;
        position += 2;
      } else {
        value += text[position++];
      }
    }
    labels[name] = value;
    position++;
    skipSpaces();
    if (text[position] === ',') position++;
    else if (text[position] !== '}') throw new PrometheusParseError(lineNumber, 'a comma or } was expected');
  }
}

function parseValue(text: string): number | undefined {
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  if (text === '' || !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return undefined;
  return Number(text);
}
