// The dashboard's routes under its path, as one Node request handler that any Nest HTTP
// adapter can mount: the page, its assets, the snapshot and trace JSON, and the event stream.
import type { IncomingMessage, ServerResponse } from 'node:http';

import type { MeshCollector } from '../state/mesh-collector.js';
import type { SnapshotStream } from './snapshot-stream.js';
import { staticAsset } from './static-assets.js';

/** The page runs only its own files: no inline script, nothing from another origin. */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};
const TRACE_ID = /^[0-9a-f]{32}$/;

export type NextHandler = (error?: unknown) => void;

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response
    .writeHead(status, {
      ...SECURITY_HEADERS,
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
    })
    .end(JSON.stringify(body));
}

/** A handler that answers under `path` and passes everything else to `next`. */
export function dashboardHandler(
  path: string,
  collector: MeshCollector,
  stream: SnapshotStream,
): (request: IncomingMessage, response: ServerResponse, next: NextHandler) => void {
  return (request, response, next) => {
    const url = new URL(request.url ?? '/', 'http://dashboard');
    if (url.pathname !== path && !url.pathname.startsWith(`${path}/`)) return next();
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('GET only\n');
      return;
    }
    const route = url.pathname.slice(path.length);
    void answer(path, route, request, response, collector, stream).catch((error: unknown) => {
      if (!response.headersSent) sendJson(response, 500, { message: 'dashboard: internal error' });
      else response.destroy(error as Error);
    });
  };
}

async function answer(
  path: string,
  route: string,
  request: IncomingMessage,
  response: ServerResponse,
  collector: MeshCollector,
  stream: SnapshotStream,
): Promise<void> {
  if (route === '') {
    // Relative (`mesh/`), so that it still lands right behind a proxy that adds a prefix.
    response.writeHead(302, { location: `${path.split('/').pop()}/` }).end();
  } else if (route === '/events') {
    stream.add(response);
  } else if (route === '/api/snapshot') {
    sendJson(response, 200, await collector.snapshot());
  } else if (route.startsWith('/api/traces/')) {
    const traceId = route.slice('/api/traces/'.length);
    if (!TRACE_ID.test(traceId))
      return sendJson(response, 404, { message: 'a trace id is 32 lowercase hex digits' });
    const trace = await collector.trace(traceId, abortedWith(response));
    sendJson(response, trace.spans.length > 0 ? 200 : 404, trace);
  } else {
    const asset = await staticAsset(route === '/' ? 'index.html' : route.slice(1));
    if (!asset) return sendJson(response, 404, { message: `no ${route} here` });
    response
      .writeHead(200, { ...SECURITY_HEADERS, 'content-type': asset.type, 'cache-control': 'no-cache' })
      .end(request.method === 'HEAD' ? undefined : asset.body);
  }
}

/** Aborted when the page goes away before the answer: its reads of other instances stop. */
function abortedWith(response: ServerResponse): AbortSignal {
  const controller = new AbortController();
  response.once('close', () => controller.abort());
  return controller.signal;
}
