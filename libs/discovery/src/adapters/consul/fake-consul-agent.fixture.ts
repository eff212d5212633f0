// A stand-in for a Consul agent's HTTP API, for tests on machines where Consul cannot run. It
// answers with the request and response shapes of Consul's documented API (agent service
// register/deregister/maintenance, check pass/warn/fail, /v1/health/service with `Checks` and
// `?passing`, /v1/catalog/services, blocking queries with X-Consul-Index) and records every
// request so tests can assert exactly what was sent. Checks behave as fake-consul-checks says
// (TTL expiry included). One node, and no `consul` service of its own (a real agent lists the
// servers as one). With `tokens` it enforces ACLs as Consul answers them (403, text/plain): an
// unknown token is "ACL not found"; no token is the anonymous one under a deny policy, whose
// writes are "Permission denied" (its reads pass: Consul filters them, not modelled here).
// With `tls` it serves HTTPS only.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { after, before, beforeEach } from 'node:test';

import type { ServiceInstance } from '../../service-instance.js';
import { FAKE_NODE, FakeServiceChecks, SERF_HEALTH } from './fake-consul-checks.fixture.js';

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: unknown;
}

interface Registered {
  body: Record<string, unknown>;
  checks: FakeServiceChecks;
}

type Override = (request: RecordedRequest, response: ServerResponse) => boolean | Promise<boolean>;

export interface FakeConsulAgentOptions {
  /** ACL tokens the agent accepts (X-Consul-Token or ?token=); without it, every request passes. */
  tokens?: readonly string[];
  /** Serve HTTPS with this certificate and key (PEM). */
  tls?: { cert: string; key: string };
}

export class FakeConsulAgent {
  readonly requests: RecordedRequest[] = [];
  readonly services = new Map<string, Registered>();
  index = 1;
  /** Lets a test answer a request itself (errors, hangs, odd indexes); return true if it did. */
  override: Override | undefined;
  private readonly waiters = new Set<() => void>();
  private server: Server | undefined;

  constructor(private readonly options: FakeConsulAgentOptions = {}) {}

  /**
   * Listens on `port` (default: a free one); returns `host:port`. After `stop()` it can start
   * again on the same port with its state kept, as an agent restarts with its data dir.
   */
  async start(port = 0): Promise<string> {
    const handler = (request: IncomingMessage, response: ServerResponse) =>
      void this.handle(request, response);
    const { tls } = this.options;
    this.server = tls ? createHttpsServer({ cert: tls.cert, key: tls.key }, handler) : createServer(handler);
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    for (const { checks } of this.services.values()) checks.armAll();
    return `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Stops listening and drops every connection (blocking queries included) at once. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.close();
    server.closeAllConnections();
    for (const { checks } of this.services.values()) checks.stopTimers();
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
    if (this.refused(recorded, response)) return;
    if (this.override && (await this.override(recorded, response))) return;

    // /v1/<area>/<kind>/<action>/<id>; a check id such as `service:<id>` may arrive encoded.
    const [, , area, kind, action, id] = url.pathname.split('/').map((part) => decodeURIComponent(part));
    const route = `${recorded.method} ${area}/${kind}`;
    if (route === 'PUT agent/service') return this.agentService(action, id, recorded, response);
    if (route === 'PUT agent/check' && ['pass', 'warn', 'fail'].includes(action)) {
      const status = ({ pass: 'passing', warn: 'warning', fail: 'critical' } as const)[action as 'pass'];
      const service = [...this.services.values()].find(({ checks }) => checks.checks.has(id));
      const changed = service?.checks.update(id, status, url.searchParams.get('note') ?? '');
      if (changed === undefined) return void response.writeHead(404).end(`Unknown check ID "${id}"`);
      if (changed) this.changed();
      return void response.end();
    }
    if (route === 'GET health/service') return this.healthService(action, url.searchParams, response);
    if (route === 'GET catalog/services') return this.catalogServices(url.searchParams, response);
    response.writeHead(404).end('not found');
  }

  /** With `tokens`: answers 403 as Consul does for an unknown token, or a write without one. */
  private refused(recorded: RecordedRequest, response: ServerResponse): boolean {
    const { tokens } = this.options;
    if (!tokens) return false;
    const header = recorded.headers['x-consul-token'];
    const token = (Array.isArray(header) ? header[0] : header) ?? recorded.query.get('token') ?? undefined;
    if (token === undefined ? recorded.method === 'GET' : tokens.includes(token)) return false;
    const text = token === undefined ? 'Permission denied' : 'ACL not found';
    response.writeHead(403, { 'content-type': 'text/plain; charset=utf-8' }).end(text);
    return true;
  }

  private agentService(
    action: string,
    id: string,
    recorded: RecordedRequest,
    response: ServerResponse,
  ): void {
    if (action === 'register') {
      const body = recorded.body as Record<string, unknown>;
      this.services.get(String(body.ID))?.checks.stopTimers();
      this.services.set(String(body.ID), { body, checks: new FakeServiceChecks(body, () => this.changed()) });
    } else if (action === 'deregister') {
      this.services.get(id)?.checks.stopTimers();
      this.services.delete(id);
    } else if (action === 'maintenance') {
      const service = this.services.get(id);
      if (!service) return void response.writeHead(404).end(`Unknown service ID "${id}"`);
      const enable = recorded.query.get('enable') === 'true';
      service.checks.maintenance(service.body, enable, recorded.query.get('reason') ?? '');
    } else {
      return void response.writeHead(404).end('not found');
    }
    this.changed();
    response.end();
  }

  /** A blocking query (`index` at or past the current one) waits for a change or its `wait`. */
  private async blockIfCurrent(query: URLSearchParams): Promise<void> {
    const index = Number(query.get('index') ?? 0);
    if (!(index > 0 && index >= this.index)) return;
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

  private answer(response: ServerResponse, body: unknown): void {
    response
      .writeHead(200, { 'content-type': 'application/json', 'x-consul-index': String(this.index) })
      .end(JSON.stringify(body));
  }

  /** Every instance of `name` with its node's and its own checks; `?passing`: only those all passing. */
  private async healthService(name: string, query: URLSearchParams, response: ServerResponse): Promise<void> {
    await this.blockIfCurrent(query);
    const entries = [...this.services.values()]
      .filter(({ body }) => body.Name === name)
      .map(({ body, checks }) => ({
        Node: FAKE_NODE,
        Service: {
          ID: body.ID,
          Service: body.Name,
          Address: body.Address,
          Port: body.Port,
          Tags: body.Tags ?? null,
          Meta: body.Meta ?? null,
        },
        Checks: [SERF_HEALTH, ...checks.list()],
      }))
      .filter(({ Checks }) => !query.has('passing') || Checks.every((check) => check.Status === 'passing'));
    this.answer(response, entries);
  }

  /** `{ <service>: [tags…] }` for every service with a registered instance, healthy or not. */
  private async catalogServices(query: URLSearchParams, response: ServerResponse): Promise<void> {
    await this.blockIfCurrent(query);
    const services: Record<string, string[]> = {};
    for (const { body } of this.services.values()) {
      const name = String(body.Name);
      services[name] = [
        ...new Set([...(services[name] ?? []), ...((body.Tags as string[] | undefined) ?? [])]),
      ];
    }
    this.answer(response, services);
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
