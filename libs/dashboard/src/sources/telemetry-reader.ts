// Reads one instance's telemetry: this process's in process (currentTelemetry()), any other
// over HTTP on the port it registered as `telemetry_port` (the METRICS_PORT server or the HTTP
// app's TelemetryHttpModule). Every request has a short timeout: a slow instance shows as
// failed on the page instead of holding it up.
import {
  currentTelemetry,
  TELEMETRY_PORT_METADATA,
  traceDetail,
  traceListing,
  type BufferedSpan,
  type TraceSummary,
} from '@nestmesh/telemetry';

import type { CatalogInstance } from './mesh-backends.js';

/** Where one instance's telemetry is read. */
export interface TelemetrySource {
  /** The instance id (this process: its telemetry's `service.instance.id`). */
  readonly id: string;
  readonly service: string;
  /** `http://host:port` of a remote source; undefined for this process. */
  readonly baseUrl?: string;
}

/** This process's source, when it started telemetry. */
export function selfSource(): TelemetrySource | undefined {
  const telemetry = currentTelemetry();
  if (!telemetry?.enabled) return undefined;
  return { id: telemetry.instanceId, service: telemetry.serviceName };
}

/** The remote sources among the registered instances (those that registered a telemetry port). */
export function remoteSources(
  instances: readonly CatalogInstance[],
  selfId: string | undefined,
): TelemetrySource[] {
  return instances.flatMap((instance) => {
    const port = Number(instance.metadata[TELEMETRY_PORT_METADATA]);
    if (instance.id === selfId || !Number.isSafeInteger(port) || port <= 0 || port > 65_535) return [];
    const host = instance.address.includes(':') ? `[${instance.address}]` : instance.address;
    return [{ id: instance.id, service: instance.name, baseUrl: `http://${host}:${port}` }];
  });
}

export class TelemetryReader {
  constructor(private readonly timeoutMs: number) {}

  async metrics(source: TelemetrySource, signal?: AbortSignal): Promise<string> {
    if (!source.baseUrl) {
      const telemetry = currentTelemetry();
      if (!telemetry?.scrapeMetrics) throw new Error('this process records no metrics');
      return telemetry.scrapeMetrics();
    }
    return (await this.get(source.baseUrl, '/metrics', signal)).text();
  }

  async traces(source: TelemetrySource, signal?: AbortSignal): Promise<TraceSummary[]> {
    if (!source.baseUrl) return inProcess(traceListing(currentTelemetry())).traces;
    const body = (await (await this.get(source.baseUrl, '/debug/traces', signal)).json()) as {
      traces: TraceSummary[];
    };
    return body.traces;
  }

  /** The spans of one trace the source holds; [] when it holds none. */
  async trace(source: TelemetrySource, traceId: string, signal?: AbortSignal): Promise<BufferedSpan[]> {
    if (!source.baseUrl) {
      const reply = traceDetail(currentTelemetry(), traceId);
      return reply.ok ? reply.body.spans : [];
    }
    const response = await this.get(source.baseUrl, `/debug/traces/${traceId}`, signal, [404]);
    if (response.status === 404) return [];
    return ((await response.json()) as { spans: BufferedSpan[] }).spans;
  }

  private async get(
    baseUrl: string,
    path: string,
    signal?: AbortSignal,
    accepted: number[] = [],
  ): Promise<Response> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const response = await fetch(`${baseUrl}${path}`, {
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    }).catch((error: unknown) => {
      throw new Error(timeout.aborted ? `no answer within ${this.timeoutMs} ms` : causeOf(error));
    });
    if (!response.ok && !accepted.includes(response.status)) {
      await response.body?.cancel();
      throw new Error(`GET ${path} answered ${response.status}`);
    }
    return response;
  }
}

function inProcess<Body>(reply: { ok: true; body: Body } | { ok: false; message: string }): Body {
  if (!reply.ok) throw new Error(reply.message);
  return reply.body;
}

/** fetch() says "fetch failed"; the cause says why (ECONNREFUSED …). */
function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? String(error);
}
