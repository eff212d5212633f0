// The JSON of `GET /debug/traces` and `GET /debug/traces/:traceId`, written once for both
// servers that answer it: the HTTP app's TelemetryHttpController and the standalone
// METRICS_PORT server of a gRPC-only app (sdk/metrics-server.ts).
import type { BufferedSpan, TelemetryHandle, TraceSummary } from '../telemetry-handle.js';

export const NOT_STARTED =
  'telemetry is not started in this process: call startTelemetry() from @nestmesh/telemetry/sdk first in main.ts';

/** What `GET /debug/traces` serves. */
export interface TraceListing {
  service: string;
  capacity: number;
  traces: TraceSummary[];
}

/** What `GET /debug/traces/:traceId` serves. */
export interface TraceDetail {
  traceId: string;
  spans: BufferedSpan[];
}

/** A reply of either endpoint: the JSON body, or the HTTP status and message of a refusal. */
export type TraceReply<Body> = { ok: true; body: Body } | { ok: false; status: 404 | 503; message: string };

const TRACE_ID = /^[0-9a-f]{32}$/;

function storeOf(telemetry: TelemetryHandle | undefined) {
  if (!telemetry) return { ok: false as const, status: 503 as const, message: NOT_STARTED };
  if (!telemetry.traces) {
    const message = `traces are not kept in this process: they go to ${telemetry.traceDestination}`;
    return { ok: false as const, status: 404 as const, message };
  }
  return { ok: true as const, store: telemetry.traces, service: telemetry.serviceName };
}

/** The kept traces, most recent first. */
export function traceListing(telemetry: TelemetryHandle | undefined): TraceReply<TraceListing> {
  const found = storeOf(telemetry);
  if (!found.ok) return found;
  return {
    ok: true,
    body: { service: found.service, capacity: found.store.capacity, traces: found.store.list() },
  };
}

/** The spans of one kept trace, by start time; 404 for a malformed or evicted id. */
export function traceDetail(
  telemetry: TelemetryHandle | undefined,
  traceId: string,
): TraceReply<TraceDetail> {
  if (!TRACE_ID.test(traceId)) {
    const message = `"${traceId.slice(0, 64)}" is not a trace id (32 lowercase hex digits)`;
    return { ok: false, status: 404, message };
  }
  const found = storeOf(telemetry);
  if (!found.ok) return found;
  const spans = found.store.get(traceId);
  if (!spans)
    return { ok: false, status: 404, message: `trace ${traceId} is not (or no longer) in the buffer` };
  return { ok: true, body: { traceId, spans } };
}
