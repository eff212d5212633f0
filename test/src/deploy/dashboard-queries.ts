import { readFileSync } from 'node:fs';

/** PromQL words that are not metric names: functions, aggregations, keywords. */
const PROMQL_WORDS = new Set([
  'sum',
  'max',
  'min',
  'avg',
  'count',
  'rate',
  'irate',
  'increase',
  'histogram_quantile',
  'by',
  'without',
  'ignoring',
  'on',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'offset',
  'topk',
  'bottomk',
  'abs',
  'clamp_min',
  'clamp_max',
  'delta',
  'deriv',
  'label_replace',
  'vector',
]);

export interface PanelQuery {
  panel: string;
  expr: string;
}

/** Every PromQL expression of a Grafana dashboard's panels (rows included). */
export function dashboardQueries(path: string): PanelQuery[] {
  interface Panel {
    title?: string;
    targets?: { expr?: string }[];
    panels?: Panel[];
  }
  const dashboard = JSON.parse(readFileSync(path, 'utf8')) as { panels: Panel[] };
  const queries: PanelQuery[] = [];
  const visit = (panels: Panel[]) => {
    for (const panel of panels) {
      for (const target of panel.targets ?? []) {
        if (target.expr) queries.push({ panel: panel.title ?? '?', expr: target.expr });
      }
      visit(panel.panels ?? []);
    }
  };
  visit(dashboard.panels);
  return queries;
}

/** The metric names a PromQL expression reads (label names, strings, ranges and functions removed). */
export function metricNamesOf(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(?:by|without|ignoring|on|group_left|group_right)\s*\([^)]*\)/g, '');
  const words = bare.match(/[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? [];
  return [...new Set(words.filter((word) => !PROMQL_WORDS.has(word)))];
}

/** The sample names in a Prometheus text exposition (`rpc_server_call_duration_seconds_count`, …). */
export function sampleNamesOf(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const line of exposition.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    names.add(line.split(/[{\s]/, 1)[0]);
  }
  return names;
}
