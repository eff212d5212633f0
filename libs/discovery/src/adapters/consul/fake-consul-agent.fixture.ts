// A stand-in for a Consul agent's HTTP API, for tests on machines where Consul cannot run. It
// answers with the request and response shapes of Consul's documented API (agent service
// register/deregister/maintenance, check pass/fail, /v1/health/service blocking queries with
// X-Consul-Index) and records every request so tests can assert exactly what was sent.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { after, before, beforeEach } from 'node:test';

import type { ServiceInstance } from '../../service-instance.js';

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: unknown;
}

interface Registered {
  body: Record<string, unknown>;
  maintenance: boolean;
}

type Override = (request: RecordedRequest, response: ServerResponse) => boolean | Promise<boolean>;

export class FakeConsulAgent {
  readonly requests: RecordedRequest[] = [];
  readonly services = new Map<string, Registered>();
  index = 1;
  /** Lets a test answer a request itself (errors, hangs, odd indexes); return true if it did. */
  override: Override | undefined;
  private readonly waiters = new Set<() => void>();
  private server: Server | undefined;

  /**
   * Listens on `port` (default: a free one); returns `host:port`. After `stop()` it can start
   * again on the same port with its state kept, as an agent restarts with its data dir.
   */
  async start(port = 0): Promise<string> {
    this.server = createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    return `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Stops listening and drops every connection (blocking queries included) at once. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.close();
    server.closeAllConnections();
    for (const wake of this.waiters) wake();
    this.waiters.clear();
    await once(server, 'close');
  }

  /** Bumps the index and wakes blocking queries, as any state change in Consul does. */
  changed(): void {
    this.index++;
    for (const wake of this.waiters) wake();
    this.waiters.clear();
  }

  requestsTo(pathPrefix: string): RecordedRequest[] {
    return this.requests.filter((request) => decodeURIComponent(request.path).startsWith(pathPrefix));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://agent');
    let raw = '';
    for await (const chunk of request.setEncoding('utf8')) raw += chunk as string;
    const recorded: RecordedRequest = {
      method: request.method ?? '',
      path: url.pathname,
      query: url.searchParams,
      headers: request.headers,
      body: raw ? JSON.parse(raw) : undefined,
    };
    this.requests.push(recorded);
    if (this.override && (await this.override(recorded, response))) return;

    const [, , area, kind, action, id] = url.pathname.split('/'); // /v1/<area>/<kind>/<action>/<id>
    if (recorded.method === 'PUT' && area === 'agent' && kind === 'service' && action === 'register') {
      const body = recorded.body as Record<string, unknown>;
      this.services.set(String(body.ID), { body, maintenance: false });
      this.changed();
      return void response.end();
    }
    if (recorded.method === 'PUT' && area === 'agent' && kind === 'service' && action === 'deregister') {
      this.services.delete(id);
      this.changed();
      return void response.end();
    }
    if (recorded.method === 'PUT' && area === 'agent' && kind === 'service' && action === 'maintenance') {
      const service = this.services.get(id);
      if (!service) return void response.writeHead(404).end(`Unknown service ID "${id}"`);
      service.maintenance = url.searchParams.get('enable') === 'true';
      this.changed();
      return void response.end();
    }
    if (recorded.method === 'PUT' && area === 'agent' && kind === 'check') return void response.end();
    if (recorded.method === 'GET' && area === 'health' && kind === 'service') {
      return this.healthService(action, url.searchParams, response);
    }
    response.writeHead(404).end('not found');
  }

  private async healthService(name: string, query: URLSearchParams, response: ServerResponse): Promise<void> {
    const index = Number(query.get('index') ?? 0);
    if (index > 0 && index >= this.index) {
      const wait = /^(\d+)(ms|s)$/.exec(query.get('wait') ?? '');
      const waitMs = wait ? Number(wait[1]) * (wait[2] === 's' ? 1000 : 1) : 300_000;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, waitMs);
        this.waiters.add(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    const entries = [...this.services.values()]
      .filter(({ body, maintenance }) => body.Name === name && !(query.has('passing') && maintenance))
      .map(({ body }) => ({
        Node: { Node: 'agent-one', Address: '127.0.0.9' },
        Service: {
          ID: body.ID,
          Service: body.Name,
          Address: body.Address,
          Port: body.Port,
          Tags: body.Tags ?? null,
          Meta: body.Meta ?? null,
        },
        Checks: [],
      }));
    response
      .writeHead(200, { 'content-type': 'application/json', 'x-consul-index': String(this.index) })
      .end(JSON.stringify(entries));
  }
}

/** An instance of a fresh service (a random name), as the Consul tests register it. */
export function testInstance(name = `svc-${randomUUID().slice(0, 8)}`, port = 7100): ServiceInstance {
  return { id: `${name}-${port}`, name, address: '127.0.0.1', port, tags: ['v1'], metadata: { zone: 'a' } };
}

/**
 * A fake agent for the enclosing describe block: started before its tests, stopped after them,
 * its recorded requests and override cleared before each. `host()` is its `host:port`.
 */
export function fakeAgentForSuite(): { agent: FakeConsulAgent; host: () => string } {
  const agent = new FakeConsulAgent();
  let host: string | undefined;
  before(async () => (host = await agent.start()));
  after(() => agent.stop());
  beforeEach(() => {
    agent.requests.length = 0;
    agent.override = undefined;
  });
  return {
    agent,
    host: () => {
      if (host === undefined) throw new Error('the fake Consul agent is not started yet');
      return host;
    },
  };
}
