import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttp2Server, type Http2Server, type Http2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { startHaproxy, waitFor, type HaproxyServer } from '@nestmesh/testing';

import type { ServiceInstance } from '../service-instance.js';
import { HaproxyBackend, type HaproxyServerState } from './haproxy.backend.js';
import { HaproxyRuntimeApi } from './haproxy.runtime-api.js';

/**
 * A throwaway HAProxy with an HTTP edge in front of backend `orders` (which also has one static
 * server, `static-keep`, that the sync must leave alone) and an h2c edge in front of backend
 * `inventory`. Both backends start without dynamic servers.
 */
export async function startEdge(): Promise<HaproxyServer> {
  return startHaproxy({
    ports: ['http', 'grpc'],
    config: (ports) =>
      [
        'defaults',
        '  mode http',
        '  timeout connect 2s',
        '  timeout client 60s',
        '  timeout server 60s',
        'frontend edge',
        `  bind 127.0.0.1:${ports.http}`,
        '  default_backend orders',
        'frontend grpc-edge',
        `  bind 127.0.0.1:${ports.grpc} proto h2`,
        '  default_backend inventory',
        'backend orders',
        '  balance roundrobin',
        // A static server that is never picked (disabled): the sync must not touch it.
        '  server static-keep 127.0.0.1:1 disabled',
        'backend inventory',
        '  balance roundrobin',
      ].join('\n'),
  });
}

/** The servers of `backend` now, by name. */
export async function serversOf(
  haproxy: HaproxyServer,
  backend: string,
): Promise<Map<string, HaproxyServerState>> {
  const servers = await new HaproxyBackend(
    new HaproxyRuntimeApi(haproxy.runtimeApiSocket),
    backend,
  ).servers();
  return new Map(servers.map((server) => [server.name, server]));
}

/** The names of `backend`'s servers now, sorted. */
export async function serverNames(haproxy: HaproxyServer, backend: string): Promise<string[]> {
  return [...(await serversOf(haproxy, backend)).keys()].sort();
}

/**
 * The names of `backend`'s servers now, sorted, a dynamic (`mesh-`) server that does not take
 * traffic yet (still in maintenance, draining, or not up by its checks) marked with its states:
 * a name alone means the server takes traffic.
 */
export async function readyServerNames(haproxy: HaproxyServer, backend: string): Promise<string[]> {
  return [...(await serversOf(haproxy, backend)).values()]
    .map(({ name, adminState, operationalState }) =>
      name.startsWith('mesh-') && (adminState !== 0 || operationalState !== 2)
        ? `${name} (admin ${adminState}, operational ${operationalState})`
        : name,
    )
    .sort();
}

/** An HTTP instance on port 0 answering its id; `GET /slow` is held until `release()`. */
export interface HttpInstance {
  readonly instance: ServiceInstance;
  /** Resolves when a `/slow` request has arrived. */
  slowArrived(): Promise<void>;
  /** Answers every held `/slow` request. */
  release(): void;
  close(): Promise<void>;
}

export async function startHttpInstance(id: string, service = 'orders'): Promise<HttpInstance> {
  const held: ServerResponse[] = [];
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    if (request.url !== '/slow') return void response.end(id);
    held.push(response);
    server.emit('slow');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    instance: { id, name: service, address: '127.0.0.1', port, tags: [], metadata: {} },
    slowArrived: async () => {
      if (held.length === 0) await once(server, 'slow');
    },
    release: () => held.splice(0).forEach((response) => response.end(`${id} slow`)),
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** An h2c (cleartext HTTP/2, as gRPC speaks) instance on port 0 answering its id. */
export async function startH2cInstance(id: string, service = 'inventory') {
  const server: Http2Server = createHttp2Server((_request, response) => response.end(id));
  const sessions = new Set<Http2Session>();
  server.on('session', (session: Http2Session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const instance: ServiceInstance = { id, name: service, address: '127.0.0.1', port, tags: [], metadata: {} };
  const close = async () => {
    for (const session of sessions) session.destroy();
    await new Promise((resolve) => server.close(resolve));
  };
  return { instance, close };
}

/** The ids that answered `count` requests through the HTTP edge (`!` for a failed request). */
export async function answersThrough(haproxy: HaproxyServer, count: number): Promise<Set<string>> {
  const answers = new Set<string>();
  for (let index = 0; index < count; index++) {
    const response = await fetch(`http://127.0.0.1:${haproxy.ports.http}/`);
    answers.add(response.ok ? await response.text() : `!${response.status}`);
  }
  return answers;
}

/** Waits until `readyServerNames` is `expected`; the failure says what HAProxy had last. */
export async function serversBecome(
  haproxy: HaproxyServer,
  backend: string,
  expected: readonly string[],
  timeoutMs: number,
): Promise<void> {
  await waitFor(
    async () => {
      const actual = await readyServerNames(haproxy, backend);
      if (JSON.stringify(actual) === JSON.stringify(expected)) return true;
      throw new Error(`${backend} has ${actual.join(', ') || 'no server'}`);
    },
    { timeoutMs, description: `${backend} servers ${expected.join(', ') || '(none)'}` },
  );
}
