import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { traceDetail, traceListing, type TraceReply } from '../http/trace-endpoints.js';
import { currentTelemetry } from '../telemetry-handle.js';
import { InvalidTelemetryConfigError } from '../telemetry.errors.js';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
const TRACE_PATH = /^\/debug\/traces\/([^/]*)$/;
const ERROR_NAMES = { 404: 'Not Found', 503: 'Service Unavailable' } as const;

/** The same JSON, and the same error bodies, as the HTTP app's TelemetryHttpController. */
function replyJson<Body>(response: ServerResponse, reply: TraceReply<Body>): void {
  const [status, body] = reply.ok
    ? [200, reply.body]
    : [reply.status, { message: reply.message, error: ERROR_NAMES[reply.status], statusCode: reply.status }];
  response
    .writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' })
    .end(JSON.stringify(body));
}

/**
 * A standalone server for an app without an HTTP server of its own (METRICS_PORT; 0 picks a
 * free port): `GET /metrics`, and `GET /debug/traces[/:traceId]` as TelemetryHttpModule
 * serves them, so that operator tools (the mesh dashboard) reach every instance's telemetry.
 * Resolves once listening.
 */
export async function serveMetrics(
  scrape: () => Promise<string>,
  port: number,
  host: string,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((request, response) => {
    const path = request.url?.split('?')[0] ?? '';
    const traceId = TRACE_PATH.exec(path)?.[1];
    if (request.method !== 'GET') {
      response.writeHead(405, { 'content-type': 'text/plain', allow: 'GET' }).end('only GET here\n');
    } else if (path === '/debug/traces') {
      replyJson(response, traceListing(currentTelemetry()));
    } else if (traceId !== undefined) {
      replyJson(response, traceDetail(currentTelemetry(), decodeURIComponent(traceId)));
    } else if (path !== '/metrics') {
      response
        .writeHead(404, { 'content-type': 'text/plain' })
        .end('GET /metrics, /debug/traces or /debug/traces/:traceId here\n');
    } else {
      scrape().then(
        (text) =>
          response
            .writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE, 'cache-control': 'no-store' })
            .end(text),
        (error: unknown) =>
          response.writeHead(500, { 'content-type': 'text/plain' }).end(`${String(error)}\n`),
      );
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) =>
      reject(
        new InvalidTelemetryConfigError('METRICS_PORT', `cannot listen on ${host}:${port}: ${error.message}`),
      ),
    );
    server.listen(port, host, resolve);
  });
  server.unref();
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
