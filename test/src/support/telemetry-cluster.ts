import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  startAppProcess,
  startEtcd,
  startOtlpReceiver,
  startRedis,
  type AppProcess,
  type EtcdServer,
  type OtlpReceiver,
  type ReceivedSpan,
  type RedisServer,
} from '@nestmesh/testing';
import { parsePrometheusText, type PrometheusSample } from '@nestmesh/dashboard';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
/** Starting a Nest app is CPU-bound (about 3 s of CPU): on a machine at load 20 it took 30 s. */
const START_TIMEOUT_MS = 120_000;

/** The cluster shape of `npm run start:cluster`, exporting its traces to a receiver. */
export interface TelemetryCluster {
  receiver: OtlpReceiver;
  redis: RedisServer;
  order: AppProcess;
  inventory: AppProcess;
  /** Order's HTTP base URL. */
  url: string;
  /** Inventory's discovery id (its ready line's id=). */
  inventoryId: string;
  /** Inventory's METRICS_PORT URL. */
  inventoryMetricsUrl: string;
  stop(): Promise<void>;
}

/**
 * etcd discovery, a real redis-server (REDIS_URL: stock, locks and orders), one inventory and one order
 * process, both exporting OTLP/HTTP JSON to a receiver every `OTEL_BSP_SCHEDULE_DELAY` ms.
 * Whatever fails on the way, what was started is stopped before the error is rethrown.
 */
export async function startTelemetryCluster(env: Record<string, string> = {}): Promise<TelemetryCluster> {
  const started: { stop(): Promise<unknown> }[] = [];
  /** Last started, first stopped (the apps deregister from etcd before it goes); all of them. */
  const stop = async () => {
    const errors: unknown[] = [];
    for (const thing of [...started].reverse())
      await thing.stop().catch((error: unknown) => errors.push(error));
    if (errors.length > 0) throw errors[0];
  };
  try {
    const receiver = await startOtlpReceiver();
    started.push(receiver);
    const etcd: EtcdServer = await startEtcd();
    started.push(etcd);
    const redis = await startRedis();
    started.push(redis);
    const shared = {
      DISCOVERY_URL: `etcd://${etcd.endpoint.replace('http://', '')}`,
      REDIS_URL: redis.url,
      RESTOCK_INTERVAL_MS: '0',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      NO_COLOR: '1',
      ...env,
    };
    const inventory = await startAppProcess(join(root, 'apps/inventory/dist/main.js'), {
      env: { ...shared, METRICS_PORT: '0' },
      readyPattern: /inventory ready grpc=\S+ id=(\S+) election=\S+ metrics=(\S+)/,
      timeoutMs: START_TIMEOUT_MS,
    });
    started.push({ stop: () => inventory.stop('SIGTERM') });
    const order = await startAppProcess(join(root, 'apps/order/dist/main.js'), {
      // No rate limit: the suites order in a loop until Prometheus shows rates (every 100 ms).
      env: { ...shared, PORT: '0', HTTP_RATE_LIMIT: 'false' },
      readyPattern: /order ready http=(\S+)/,
      timeoutMs: START_TIMEOUT_MS,
    });
    started.push({ stop: () => order.stop('SIGTERM') });
    return {
      receiver,
      redis,
      order,
      inventory,
      url: order.ready[1],
      inventoryId: inventory.ready[1],
      inventoryMetricsUrl: inventory.ready[2],
      stop,
    };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}

/** A fresh sampled W3C trace context for a request: its trace id, its (caller) span id and header. */
export function callerContext(): { traceId: string; spanId: string; traceparent: string } {
  const hex = (bytes: number) =>
    [...crypto.getRandomValues(new Uint8Array(bytes))].map((b) => b.toString(16).padStart(2, '0')).join('');
  const [traceId, spanId] = [hex(16), hex(8)];
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01` };
}

/** POST /orders with `items`, under `traceparent` when given. */
export async function postOrder(
  url: string,
  items: { sku: string; quantity: number }[],
  traceparent?: string,
): Promise<Response> {
  return fetch(`${url}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(traceparent ? { traceparent } : {}) },
    body: JSON.stringify({ items }),
  });
}

/** `ancestor` is `span`'s parent, or its parent's parent, … within `spans`. */
export function descendsFrom(span: ReceivedSpan, ancestor: ReceivedSpan, spans: ReceivedSpan[]): boolean {
  const byId = new Map(spans.map((each) => [each.spanId, each]));
  for (let parent = span.parentSpanId; parent; parent = byId.get(parent)?.parentSpanId) {
    if (parent === ancestor.spanId) return true;
  }
  return false;
}

/** The trace as an indented tree (for failure messages and diagnostics). */
export function treeOf(spans: ReceivedSpan[]): string {
  const ids = new Set(spans.map((span) => span.spanId));
  const lines: string[] = [];
  const walk = (parent: string | undefined, depth: number) => {
    for (const span of spans.filter((each) =>
      parent === undefined ? !each.parentSpanId || !ids.has(each.parentSpanId) : each.parentSpanId === parent,
    )) {
      lines.push(`${'  '.repeat(depth)}${span.name} [${span.service}, kind ${span.kind}]`);
      walk(span.spanId, depth + 1);
    }
  };
  walk(undefined, 0);
  return lines.join('\n');
}

/** One sample of the Prometheus text format (as the dashboard's reader returns it). */
export type MetricSample = PrometheusSample;

/** The sum of `name` over the series whose labels include `labels`. */
export function sumOf(samples: MetricSample[], name: string, labels: Record<string, string>): number {
  return samples
    .filter(
      (sample) =>
        sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
    )
    .reduce((sum, sample) => sum + sample.value, 0);
}

/** GET a /metrics URL and parse it. */
export async function scrape(metricsUrl: string): Promise<MetricSample[]> {
  const response = await fetch(metricsUrl);
  if (!response.ok) throw new Error(`${metricsUrl}: ${response.status} ${await response.text()}`);
  return parsePrometheusText(await response.text());
}
