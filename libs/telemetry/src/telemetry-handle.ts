// The process's started telemetry, as the HTTP endpoints (/metrics, /debug/traces) and the
// apps see it. The SDK entry (`@nestmesh/telemetry/sdk`) sets it; this module knows only the
// shape, so that the core of the library never loads the SDK.

/** One span of a kept trace, as `GET /debug/traces/:traceId` serves it. */
export interface BufferedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: 'INTERNAL' | 'SERVER' | 'CLIENT' | 'PRODUCER' | 'CONSUMER';
  /** The `service.name` of the process that recorded it. */
  service: string;
  /** Epoch ms (fractional). */
  startTimeMs: number;
  durationMs: number;
  status: { code: 'UNSET' | 'OK' | 'ERROR'; message?: string };
  attributes: Record<string, unknown>;
  events: { name: string; timeMs: number; attributes: Record<string, unknown> }[];
}

/** A kept trace in the list of `GET /debug/traces`. */
export interface TraceSummary {
  traceId: string;
  /** The name of its root span (or of its earliest span when the root is elsewhere). */
  root: string;
  startTimeMs: number;
  durationMs: number;
  spanCount: number;
  errors: number;
  services: string[];
}

/** The in-process store of the last traces (embedded default: no exporter configured). */
export interface TraceStore {
  readonly capacity: number;
  list(): TraceSummary[];
  get(traceId: string): BufferedSpan[] | undefined;
}

export interface TelemetryHandle {
  /** False when OTEL_SDK_DISABLED=true: nothing is recorded. */
  readonly enabled: boolean;
  readonly serviceName: string;
  /** `service.instance.id`; pass it to MeshGrpcModule `instanceId` so discovery uses the same. */
  readonly instanceId: string;
  /** Where spans go: `otlp <url> (<protocol>)`, `in-process buffer` or `off`. */
  readonly traceDestination: string;
  /** Kept traces when no exporter is configured, else undefined. */
  readonly traces?: TraceStore;
  /** Metrics in the Prometheus text format (undefined when disabled). */
  scrapeMetrics?(): Promise<string>;
  /** The URL of the metrics server started for METRICS_PORT, if any. */
  readonly metricsUrl?: string;
  /** Exports what is pending. */
  forceFlush(): Promise<void>;
  /** Flushes and stops; the API is a no-op afterwards. */
  shutdown(): Promise<void>;
}

/**
 * The instance metadata key under which an instance registers the port that serves its
 * telemetry over HTTP (`GET /metrics`, `GET /debug/traces[/:traceId]`) on its registered
 * address: the METRICS_PORT server, or an HTTP app's port with TelemetryHttpModule.
 * Operator tools (the mesh dashboard) read every instance's telemetry through it. An underscore,
 * not a dot: Consul refuses metadata keys outside `[A-Za-z0-9_-]`.
 */
export const TELEMETRY_PORT_METADATA = 'telemetry_port';

/** The port of the handle's METRICS_PORT server, if it started one. */
export function metricsServerPort(handle: TelemetryHandle | undefined): number | undefined {
  if (!handle?.metricsUrl) return undefined;
  return Number(new URL(handle.metricsUrl).port);
}

const KEY = Symbol.for('nestmesh.telemetry');
type Holder = { [KEY]?: TelemetryHandle };

/** The telemetry this process started, if any. */
export function currentTelemetry(): TelemetryHandle | undefined {
  return (globalThis as Holder)[KEY];
}

/** Set by the SDK entry; `undefined` clears it (on shutdown). */
export function setCurrentTelemetry(handle: TelemetryHandle | undefined): void {
  (globalThis as Holder)[KEY] = handle;
}
