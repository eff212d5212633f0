import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type TextMapGetter,
} from '@opentelemetry/api';

import { meshMeter, meshTracer, secondsSince } from '../mesh-telemetry.js';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_REQUEST_METHOD_ORIGINAL,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
  DURATION_BUCKETS_SECONDS,
  METRIC_HTTP_SERVER_REQUEST_DURATION,
} from '../semconv.js';

/** What Express adds to a request once it is routed (`route.path` is the matched pattern). */
interface RoutedRequest extends IncomingMessage {
  originalUrl?: string;
  baseUrl?: string;
  route?: { path?: unknown };
}

type Middleware = (
  request: IncomingMessage,
  response: ServerResponse,
  next: (error?: unknown) => void,
) => void;

/** The methods the HTTP conventions know; any other is recorded as `_OTHER`. */
const KNOWN_METHODS = new Set([
  'CONNECT',
  'DELETE',
  'GET',
  'HEAD',
  'OPTIONS',
  'PATCH',
  'POST',
  'PUT',
  'TRACE',
]);

const headerGetter: TextMapGetter<IncomingHttpHeaders> = {
  keys: (carrier) => Object.keys(carrier),
  get(carrier, key) {
    const value = carrier[key];
    return Array.isArray(value) ? value[0] : value;
  },
};

/**
 * Paths not traced by default: the scrape, the trace viewer and the probes would otherwise
 * fill the trace buffer (and a collector) with requests nobody debugs, as gRPC health checks
 * are not traced either. A path matches itself and everything below it.
 */
export const DEFAULT_UNTRACED_HTTP_PATHS: readonly string[] = [
  '/metrics',
  '/debug/traces',
  '/healthz',
  '/readyz',
  // The mesh dashboard's default path: an open page (its event stream, its reads) is not traffic.
  '/mesh',
];

export interface HttpServerTracingOptions {
  /** Paths answered without a span or a duration record; default DEFAULT_UNTRACED_HTTP_PATHS. */
  untracedPaths?: readonly string[];
}

function untraced(paths: readonly string[], url: string | undefined): boolean {
  if (paths.length === 0) return false;
  const path = (url ?? '/').split('?')[0];
  return paths.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
}

/** `/orders/:id` once Express has routed the request (prefixed by its router's mount path). */
function routeOf(request: RoutedRequest): string | undefined {
  const path = request.route?.path;
  return typeof path === 'string' ? `${request.baseUrl ?? ''}${path}` : undefined;
}

/**
 * An Express middleware (`app.use(httpServerTracing())`, before the routes) that traces each
 * request as a SERVER span by the stable HTTP conventions: the W3C trace context extracted from
 * the headers (only when a `traceparent` is there), the span named `METHOD route` once Express
 * has routed it (`METHOD` alone when no route matched), `http.request.method`, `url.path`,
 * `url.scheme`, `http.route`, `http.response.status_code`, and for 5xx `error.type` and an ERROR
 * status (a 4xx is the client's error, not the server's). The rest of the request is handled
 * in the span's context, so the spans and log lines of the handler are its children. Records
 * `http.server.request.duration` (s). Instruments are taken when it is created: create it
 * after startTelemetry(). `/metrics`, `/debug/traces`, `/healthz` and `/readyz` are not traced
 * unless `untracedPaths` says otherwise.
 */
export function httpServerTracing(options: HttpServerTracingOptions = {}): Middleware {
  const untracedPaths = options.untracedPaths ?? DEFAULT_UNTRACED_HTTP_PATHS;
  const tracer = meshTracer('@nestmesh/telemetry/http');
  const duration = meshMeter('@nestmesh/telemetry/http').createHistogram(
    METRIC_HTTP_SERVER_REQUEST_DURATION,
    {
      unit: 's',
      description: 'Duration of HTTP requests served, from the first middleware to the response finishing.',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS_SECONDS },
    },
  );
  return (request: RoutedRequest, response, next) => {
    if (untraced(untracedPaths, request.url)) {
      next();
      return;
    }
    const startMs = performance.now();
    const parent =
      request.headers.traceparent === undefined
        ? ROOT_CONTEXT
        : propagation.extract(ROOT_CONTEXT, request.headers, headerGetter);
    const original = request.method ?? 'GET';
    const method = KNOWN_METHODS.has(original) ? original : '_OTHER';
    const scheme = (request.socket as Partial<TLSSocket>).encrypted ? 'https' : 'http';
    const span = tracer.startSpan(
      method,
      {
        kind: SpanKind.SERVER,
        attributes: {
          [ATTR_HTTP_REQUEST_METHOD]: method,
          ...(method === original ? {} : { [ATTR_HTTP_REQUEST_METHOD_ORIGINAL]: original }),
          [ATTR_URL_PATH]: (request.originalUrl ?? request.url ?? '/').split('?')[0],
          [ATTR_URL_SCHEME]: scheme,
        },
      },
      parent,
    );
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      const status = response.statusCode;
      const route = routeOf(request);
      const attributes: Attributes = {
        [ATTR_HTTP_REQUEST_METHOD]: method,
        [ATTR_URL_SCHEME]: scheme,
        [ATTR_HTTP_RESPONSE_STATUS_CODE]: status,
        ...(route === undefined ? {} : { [ATTR_HTTP_ROUTE]: route }),
        ...(status >= 500 ? { [ATTR_ERROR_TYPE]: String(status) } : {}),
      };
      if (span.isRecording()) {
        if (route !== undefined) span.updateName(`${method} ${route}`);
        span.setAttributes(attributes);
        if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: String(status) });
      }
      span.end();
      duration.record(secondsSince(startMs), attributes);
    };
    // 'close' also covers a client that hangs up before the response is finished.
    response.once('finish', end);
    response.once('close', end);
    context.with(trace.setSpan(parent, span), next);
  };
}
