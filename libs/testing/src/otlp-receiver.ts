import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { waitFor, type WaitForOptions } from './wait-for.js';

/** One span as an OTLP/HTTP JSON export carried it, flattened. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** Absent on a root span. */
  parentSpanId?: string;
  name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  /** The `service.name` of the resource that sent it. */
  service: string;
  /** The instrumentation scope (the tracer's name, e.g. `@nestmesh/grpc`). */
  scope: string;
  resource: Record<string, unknown>;
  attributes: Record<string, unknown>;
  events: { name: string; attributes: Record<string, unknown> }[];
  /** OTLP StatusCode: 0 unset, 1 ok, 2 error. */
  status: { code: number; message?: string };
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
}

export const SPAN_KIND = { INTERNAL: 1, SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 } as const;
export const STATUS_CODE = { UNSET: 0, OK: 1, ERROR: 2 } as const;

export interface OtlpReceiver {
  /** `http://127.0.0.1:<port>`: the OTEL_EXPORTER_OTLP_ENDPOINT to give an app (with http/json). */
  readonly endpoint: string;
  /** Every span received so far, in arrival order. */
  spans(): ReceivedSpan[];
  /** The spans of one trace. */
  trace(traceId: string): ReceivedSpan[];
  /** Polls until `predicate` holds for the spans received so far; resolves with them. */
  waitForSpans(
    predicate: (spans: ReceivedSpan[]) => boolean,
    options?: WaitForOptions,
  ): Promise<ReceivedSpan[]>;
  /** How many export requests arrived (a request with zero spans counts). */
  readonly requests: number;
  /** Forgets the spans received so far. */
  clear(): void;
  stop(): Promise<void>;
}

interface AnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | string;
  doubleValue?: number;
  arrayValue?: { values?: AnyValue[] };
}
type KeyValue = { key: string; value?: AnyValue };
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind?: number;
  startTimeUnixNano: string | number;
  endTimeUnixNano: string | number;
  attributes?: KeyValue[];
  events?: { name: string; attributes?: KeyValue[] }[];
  status?: { code?: number; message?: string };
}
interface ExportTraceServiceRequest {
  resourceSpans?: {
    resource?: { attributes?: KeyValue[] };
    scopeSpans?: { scope?: { name?: string }; spans?: OtlpSpan[] }[];
  }[];
}

function valueOf(value: AnyValue | undefined): unknown {
  if (!value) return undefined;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.arrayValue) return (value.arrayValue.values ?? []).map(valueOf);
  return undefined;
}

function attributesOf(list: KeyValue[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map(({ key, value }) => [key, valueOf(value)]));
}

/** Flattens one request; the ids are hex in the JSON encoding of OTLP. */
export function flattenExport(request: ExportTraceServiceRequest): ReceivedSpan[] {
  return (request.resourceSpans ?? []).flatMap(({ resource, scopeSpans }) => {
    const resourceAttributes = attributesOf(resource?.attributes);
    const name = resourceAttributes['service.name'];
    const service = typeof name === 'string' ? name : 'unknown';
    return (scopeSpans ?? []).flatMap(({ scope, spans }) =>
      (spans ?? []).map((span): ReceivedSpan => ({
        traceId: span.traceId,
        spanId: span.spanId,
        ...(span.parentSpanId ? { parentSpanId: span.parentSpanId } : {}),
        name: span.name,
        kind: span.kind ?? 0,
        service,
        scope: scope?.name ?? '',
        resource: resourceAttributes,
        attributes: attributesOf(span.attributes),
        events: (span.events ?? []).map((event) => ({
          name: event.name,
          attributes: attributesOf(event.attributes),
        })),
        status: {
          code: span.status?.code ?? 0,
          ...(span.status?.message ? { message: span.status.message } : {}),
        },
        startTimeUnixNano: BigInt(span.startTimeUnixNano),
        endTimeUnixNano: BigInt(span.endTimeUnixNano),
      })),
    );
  });
}

async function readBody(request: IncomingMessage): Promise<string> {
  request.setEncoding('utf8');
  let body = '';
  for await (const chunk of request) body += chunk as string;
  return body;
}

function reply(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(body);
}

/**
 * An OTLP/HTTP trace receiver for tests (the JSON encoding: no proto files): `POST /v1/traces`
 * with `application/json` on a free loopback port. Apps export to it with
 * OTEL_EXPORTER_OTLP_ENDPOINT=<endpoint> and OTEL_EXPORTER_OTLP_PROTOCOL=http/json. Protobuf
 * bodies get 415, so a misconfigured app is visible in its own log rather than silently empty.
 */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  let received: ReceivedSpan[] = [];
  let requests = 0;
  const server = createServer((request, response) => {
    if (request.method !== 'POST' || request.url?.split('?')[0] !== '/v1/traces') {
      reply(response, 404, JSON.stringify({ message: 'only POST /v1/traces here' }));
      return;
    }
    if (!request.headers['content-type']?.startsWith('application/json')) {
      request.resume();
      reply(response, 415, JSON.stringify({ message: 'this receiver takes OTLP http/json only' }));
      return;
    }
    readBody(request)
      .then((body) => {
        requests += 1;
        received.push(...flattenExport(JSON.parse(body) as ExportTraceServiceRequest));
        reply(response, 200, '{}');
      })
      .catch((error: unknown) => reply(response, 400, JSON.stringify({ message: String(error) })));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    spans: () => [...received],
    trace: (traceId) => received.filter((span) => span.traceId === traceId),
    waitForSpans: (predicate, options) =>
      waitFor(() => predicate(received) && [...received], { description: 'spans', ...options }),
    get requests() {
      return requests;
    },
    clear: () => {
      received = [];
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
