import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { PrometheusParseError } from '../dashboard.errors.js';
import { parsePrometheusText } from './prometheus-text.js';

describe('parsePrometheusText', { timeout: 10_000 }, () => {
  it('reads samples with labels, skipping HELP and TYPE comments and blank lines', () => {
    const text = [
      '# HELP rpc_server_call_duration_seconds Duration of calls, with a \\\\ and a \\n in its help',
      '# TYPE rpc_server_call_duration_seconds histogram',
      'rpc_server_call_duration_seconds_bucket{rpc_method="inventory.v1.InventoryService/Reserve",le="0.005"} 3',
      'rpc_server_call_duration_seconds_bucket{rpc_method="inventory.v1.InventoryService/Reserve",le="+Inf"} 7',
      '',
      'process_uptime 12.5 1700000000000',
      'up 1',
    ].join('\n');
    assert.deepEqual(parsePrometheusText(text), [
      {
        name: 'rpc_server_call_duration_seconds_bucket',
        labels: { rpc_method: 'inventory.v1.InventoryService/Reserve', le: '0.005' },
        value: 3,
      },
      {
        name: 'rpc_server_call_duration_seconds_bucket',
        labels: { rpc_method: 'inventory.v1.InventoryService/Reserve', le: '+Inf' },
        value: 7,
      },
      { name: 'process_uptime', labels: {}, value: 12.5 },
      { name: 'up', labels: {}, value: 1 },
    ]);
  });

  it('unescapes label values: quotes, backslashes, newlines; commas and braces inside quotes are text', () => {
    const [sample] = parsePrometheusText(
      'm{a="say \\"hi\\"",b="C:\\\\dir",c="two\\nlines",d="x,y}{z", e = "spaced" ,} 1\n',
    );
    assert.deepEqual(sample.labels, {
      a: 'say "hi"',
      b: 'C:\\dir',
      c: 'two\nlines',
      d: 'x,y}{z',
      e: 'spaced',
    });
  });

  it('reads +Inf, -Inf, NaN and exponents', () => {
    const values = parsePrometheusText('a +Inf\nb -Inf\nc NaN\nd 1.5e-3\ne -2\n').map(
      (sample) => sample.value,
    );
    assert.deepEqual(values.slice(0, 2), [Infinity, -Infinity]);
    assert.ok(Number.isNaN(values[2]));
    assert.deepEqual(values.slice(3), [0.0015, -2]);
  });

  it('refuses malformed lines with PrometheusParseError naming the line', () => {
    const cases: [string, RegExp][] = [
      ['ok 1\n{le="1"} 2', /line 2: no metric name/],
      ['m{le="1" 2', /line 1: a comma or } was expected/],
      ['m{le="1} 2', /line 1: label le: unterminated value/],
      ['m{le=1} 2', /line 1: label le has no quoted value/],
      ['m{="1"} 2', /line 1: a label name was expected/],
      ['m twelve', /line 1: "twelve" is not a sample value/],
      ['m', /line 1: "" is not a sample value/],
    ];
    for (const [text, message] of cases) {
      assert.throws(
        () => parsePrometheusText(text),
        (error: unknown) =>
          error instanceof PrometheusParseError &&
          error.code === 'PROMETHEUS_PARSE' &&
          message.test(error.message) &&
          error.message.startsWith('dashboard: '),
        text,
      );
    }
  });
});
