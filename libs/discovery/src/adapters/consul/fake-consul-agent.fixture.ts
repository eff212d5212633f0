// A stand-in for a Consul agent's HTTP API, for tests on machines where Consul cannot run. It
// answers with the request and response shapes of Consul's documented API and behaves as
// Consul does where our adapter depends on it (each fact is cited in the file that models
// it): checks (fake-consul-checks), the catalog, its indexes, blocking and reaping
// (fake-consul-state, fake-consul-reads), parameter parsing (fake-consul-parse), and here:
// - maintenance: `enable` missing → 400 "Missing value for enable", not a Go boolean → 400
//   `Invalid value for enable: "<value>"`; an unknown service id (maintenance or deregister) →
//   404 `Unknown service ID "<id>". Ensure that the service ID is passed, not the service name.`
//   (agent_endpoint.go AgentServiceMaintenance, agent.go vetServiceUpdateWithAuthorizer);
// - ACLs, with `tokens`: 403 text/plain, "ACL not found" for an unknown token; no token is the
//   anonymous one under a deny policy, whose writes are "Permission denied" (its reads pass:
//   Consul filters them, not modelled here);
// - namespaces: the community edition refuses any `ns` (or X-Consul-Namespace) with 400 `Bad
//   request: Invalid query parameter: "ns" - Namespaces are a Consul Enterprise feature`
//   (agent/http_ce.go parseEntMeta); constructed `enterprise`, it keeps each namespace apart.
// One node, no `consul` service of its own (a real agent lists the servers as one). It records
// every request so tests can assert exactly what was sent. With `tls` it serves HTTPS only.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { after, before, beforeEach } from 'node:test';

import type { ServiceInstance } from '../../service-instance.js';
import type { FakeCheck } from './fake-consul-checks.fixture.js';
import { goBool, realClock, type FakeAgentClock } from './fake-consul-parse.fixture.js';
import { catalogServices, healthService } from './fake-consul-reads.fixture.js';
import { FakeConsulState, type Registered } from './fake-consul-state.fixture.js';

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: unknown;
}

type Override = (request: RecordedRequest, response: ServerResponse) => boolean | Promise<boolean>;

export interface FakeConsulAgentOptions {
  /** ACL tokens the agent accepts (X-Consul-Token or ?token=); without it, every request passes. */
  tokens?: readonly string[];
  /** Serve HTTPS with this certificate and key (PEM). */
  tls?: { cert: string; key: string };
  /** Consul Enterprise: accepts `ns`. Default: the community edition, which refuses it. */
  enterprise?: boolean;
  /** Drives TTL expiry, critical time and the reaper (e.g. ManualClock). Default: real time. */
  clock?: FakeAgentClock;
}

const CE_NAMESPACE_REFUSAL =
  'Bad request: Invalid query parameter: "ns" - Namespaces are a Consul Enterprise feature';
const CHECK_STATUS = { pass: 'passing', warn: 'warning', fail: 'critical' } as const;

export class FakeConsulAgent {
  readonly requests: RecordedRequest[] = [];
  /** Lets a test answer a request itself (errors, hangs, odd indexes); return true if it did. */
  override: Override | undefined;
  private readonly state: FakeConsulState;
  private server: Server | undefined;

  constructor(private readonly options: FakeConsulAgentOptions = {}) {
    this.state = new FakeConsulState(options.clock ?? realClock);
  }

  /** Registered instances by service ID. */
  get services(): ReadonlyMap<string, Registered> {
    return this.state.services;
  }

  /** The index of the last write. */
  get index(): number {
    return this.state.index;
  }

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
    this.state.resume();
    return `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Stops listening and drops every connection (blocking queries included) at once. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.close();
    server.closeAllConnections();
    this.state.pause();
    await once(server, 'close');
  }

  /**
   * A write elsewhere in the catalog: the index moves and blocking queries look again. With
   * `service`, a change to that service (its own index moves: its watchers are answered).
   */
  changed(service?: string): void {
    if (service === undefined) this.state.otherChange();
    else this.state.serviceChanged('default', service);
  }

  /** Plays the agent's probe of a gRPC/HTTP/TCP check (the stand-in dials nothing itself). */
  probe(checkId: string, status: FakeCheck['Status'], output = ''): void {
    for (const { body, checks, namespace } of this.state.services.values()) {
      if (!checks.checks.has(checkId)) continue;
      if (checks.probe(checkId, status, output)) this.state.serviceChanged(namespace, String(body.Name));
      return;
    }
    throw new Error(`the stand-in agent has no check ${checkId}`);
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
    const namespace = this.namespaceOf(recorded, response);
    if (namespace === undefined) return;

    // /v1/<area>/<kind>/<action>/<id>; a check id such as `service:<id>` may arrive encoded.
    const [, , area, kind, action, id] = url.pathname.split('/').map((part) => decodeURIComponent(part));
    const route = `${recorded.method} ${area}/${kind}`;
    if (route === 'PUT agent/service') return this.agentService(action, id, namespace, recorded, response);
    if (route === 'PUT agent/check' && action in CHECK_STATUS) {
      return this.checkUpdate(id, CHECK_STATUS[action as 'pass'], recorded.query.get('note') ?? '', response);
    }
    if (route === 'GET health/service')
      return healthService(this.state, action, namespace, url.searchParams, response);
    if (route === 'GET catalog/services')
      return catalogServices(this.state, namespace, url.searchParams, response);
    text(response, 404, 'not found');
  }

  /** With `tokens`: answers 403 as Consul does for an unknown token, or a write without one. */
  private refused(recorded: RecordedRequest, response: ServerResponse): boolean {
    const { tokens } = this.options;
    if (!tokens) return false;
    const header = recorded.headers['x-consul-token'];
    const token = (Array.isArray(header) ? header[0] : header) ?? recorded.query.get('token') ?? undefined;
    if (token === undefined ? recorded.method === 'GET' : tokens.includes(token)) return false;
    text(response, 403, token === undefined ? 'Permission denied' : 'ACL not found');
    return true;
  }

  /** The request's namespace (`default` without one); undefined once refused (CE and an `ns`). */
  private namespaceOf(recorded: RecordedRequest, response: ServerResponse): string | undefined {
    const header = recorded.headers['x-consul-namespace'];
    const namespace = recorded.query.get('ns') || (Array.isArray(header) ? header[0] : header) || '';
    if (!namespace) return 'default';
    if (this.options.enterprise) return namespace;
    const refusal = recorded.query.get('ns')
      ? CE_NAMESPACE_REFUSAL
      : CE_NAMESPACE_REFUSAL.replace('query parameter: "ns"', 'header: "X-Consul-Namespace"');
    text(response, 400, refusal);
    return undefined;
  }

  private agentService(
    action: string,
    id: string,
    namespace: string,
    recorded: RecordedRequest,
    response: ServerResponse,
  ): void {
    if (action === 'register') {
      try {
        this.state.register(recorded.body as Record<string, unknown>, namespace);
      } catch (error) {
        return text(response, 400, (error as Error).message);
      }
      return void response.end();
    }
    if (action === 'maintenance') return this.maintenance(id, recorded.query, response);
    if (action !== 'deregister') return text(response, 404, 'not found');
    if (!this.state.deregister(id)) return unknownService(response, id);
    response.end();
  }

  private maintenance(id: string, query: URLSearchParams, response: ServerResponse): void {
    if (!query.has('enable')) return text(response, 400, 'Missing value for enable');
    const raw = query.get('enable') ?? '';
    const enable = goBool(raw);
    if (enable === undefined) return text(response, 400, `Invalid value for enable: ${JSON.stringify(raw)}`);
    const service = this.state.services.get(id);
    if (!service) return unknownService(response, id);
    if (service.checks.maintenance(enable, query.get('reason') ?? '')) {
      this.state.serviceChanged(service.namespace, String(service.body.Name));
    }
    response.end();
  }

  private checkUpdate(id: string, status: FakeCheck['Status'], note: string, response: ServerResponse): void {
    for (const { body, checks, namespace } of this.state.services.values()) {
      const changed = checks.update(id, status, note);
      if (changed === undefined) continue;
      if (changed) this.state.serviceChanged(namespace, String(body.Name));
      return void response.end();
    }
    text(response, 500, `CheckID ${JSON.stringify(id)} does not have associated TTL`);
  }
}

function text(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(body);
}

function unknownService(response: ServerResponse, id: string): void {
  text(
    response,
    404,
    `Unknown service ID ${JSON.stringify(id)}. Ensure that the service ID is passed, not the service name.`,
  );
}

/** An instance of a fresh service (a random name), as the Consul tests register it. */
export function testInstance(name = `svc-${randomUUID().slice(0, 8)}`, port = 7100): ServiceInstance {
  return { id: `${name}-${port}`, name, address: '127.0.0.1', port, tags: ['v1'], metadata: { zone: 'a' } };
}

/**
 * A stand-in agent for the enclosing describe block: started before its tests, stopped after
 * them, its recorded requests and override cleared before each. `host()` is its `host:port`.
 */
export function fakeAgentForSuite(options: FakeConsulAgentOptions = {}): {
  agent: FakeConsulAgent;
  host: () => string;
} {
  const agent = new FakeConsulAgent(options);
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
