// The RPC duration histograms of one /metrics text, as @nestmesh/telemetry names them
// (semconv.ts: rpc.server.call.duration, rpc.client.call.duration, in seconds) once the
// Prometheus exporter has turned dots into underscores and appended the unit.
import type { PrometheusSample } from '../prometheus/prometheus-text.js';

export type CallKind = 'server' | 'client';

/** One labelled histogram series: cumulative bucket counts, as scraped. */
export interface HistogramSeries {
  readonly kind: CallKind;
  /** `rpc.method`: `package.Service/Method`. */
  readonly method: string;
  /** Whether the series counts failed calls (it carries `error.type`). */
  readonly error: boolean;
  /** Upper bounds (seconds, the last +Inf) → cumulative count, sorted by bound. */
  readonly buckets: { readonly le: number; readonly count: number }[];
  readonly count: number;
}

const FAMILIES: Record<string, CallKind> = {
  rpc_server_call_duration_seconds: 'server',
  rpc_client_call_duration_seconds: 'client',
};

/** A series' identity: its family and every label but `le`. */
function seriesKey(family: string, labels: Readonly<Record<string, string>>): string {
  const rest = Object.entries(labels)
    .filter(([name]) => name !== 'le')
    .sort(([a], [b]) => a.localeCompare(b));
  return `${family}${JSON.stringify(rest)}`;
}

interface Building {
  kind: CallKind;
  method: string;
  error: boolean;
  buckets: { le: number; count: number }[];
  count: number;
}

/** The RPC histograms among `samples`, keyed by family and labels. */
export function rpcHistograms(samples: readonly PrometheusSample[]): Map<string, HistogramSeries> {
  const series = new Map<string, Building>();
  for (const sample of samples) {
    const suffix = sample.name.endsWith('_bucket')
      ? '_bucket'
      : sample.name.endsWith('_count')
        ? '_count'
        : '';
    const kind = suffix ? FAMILIES[sample.name.slice(0, -suffix.length)] : undefined;
    const method = sample.labels.rpc_method;
    if (!kind || method === undefined) continue;
    const key = seriesKey(sample.name.slice(0, -suffix.length), sample.labels);
    let entry = series.get(key);
    if (!entry) {
      entry = { kind, method, error: sample.labels.error_type !== undefined, buckets: [], count: 0 };
      series.set(key, entry);
    }
    if (suffix === '_count') entry.count = sample.value;
    else
      entry.buckets.push({
        le: Number(sample.labels.le === '+Inf' ? Infinity : sample.labels.le),
        count: sample.value,
      });
  }
  for (const entry of series.values()) entry.buckets.sort((a, b) => a.le - b.le);
  return series;
}
