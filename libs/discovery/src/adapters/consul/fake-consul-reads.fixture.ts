// The read endpoints of the stand-in Consul agent: /v1/health/service/<name> and
// /v1/catalog/services, with blocking queries as Consul documents them. Facts modelled:
// - `index` and `wait` are parsed as agent/http.go parseWait does: a `wait` Go's
//   time.ParseDuration refuses (`wait=10`, no unit) is 400 "Invalid wait time", an `index` that
//   is not an unsigned integer 400 "Invalid index";
// - every answer of a read carries X-Consul-Index (never below 1), X-Consul-KnownLeader and
//   X-Consul-LastContact (agent/http.go setMeta); the agent's write endpoints send none;
// - `?passing` keeps the entries whose checks, the node's included, all pass.
// Not modelled: Consul's own jitter on `wait` (up to wait/16), `?stale`, `?cached`, filters.
import type { ServerResponse } from 'node:http';

import { FAKE_NODE, SERF_HEALTH } from './fake-consul-checks.fixture.js';
import { goDurationMs } from './fake-consul-parse.fixture.js';
import type { FakeConsulState } from './fake-consul-state.fixture.js';

/** A blocking query's `index` and `wait`, or the 400 Consul answers instead. */
function blockingOf(query: URLSearchParams): { index: number; waitMs?: number } | { refusal: string } {
  const wait = query.get('wait');
  const waitMs = wait ? goDurationMs(wait) : undefined;
  if (wait && waitMs === undefined) return { refusal: 'Invalid wait time' };
  const index = query.get('index');
  if (index && !/^\d+$/.test(index)) return { refusal: 'Invalid index' };
  return { index: Number(index ?? 0), waitMs };
}

function answer(response: ServerResponse, index: number, body: unknown): void {
  response
    .writeHead(200, {
      'content-type': 'application/json',
      'x-consul-index': String(Math.max(1, index)),
      'x-consul-knownleader': 'true',
      'x-consul-lastcontact': '0',
    })
    .end(JSON.stringify(body));
}

function refuse(response: ServerResponse, text: string): void {
  response.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' }).end(text);
}

/**
 * A blocking query's wait: 400 for a bad `index` or `wait` (false), else until `current` moves
 * past the query's index or the wait ends (true).
 */
async function blockUntilPast(
  state: FakeConsulState,
  query: URLSearchParams,
  response: ServerResponse,
  current: () => number,
): Promise<boolean> {
  const blocking = blockingOf(query);
  if ('refusal' in blocking) {
    refuse(response, blocking.refusal);
    return false;
  }
  await state.block(current, blocking.index, blocking.waitMs);
  return true;
}

/** `/v1/health/service/<name>`: every instance with the node's and its own checks. */
export async function healthService(
  state: FakeConsulState,
  name: string,
  namespace: string,
  query: URLSearchParams,
  response: ServerResponse,
): Promise<void> {
  const current = () => state.serviceIndex(namespace, name);
  if (!(await blockUntilPast(state, query, response, current))) return;
  const entries = state
    .instancesOf(namespace, name)
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
  answer(response, current(), entries);
}

/** `/v1/catalog/services`: `{ <service>: [tags…] }` for every registered service, healthy or not. */
export async function catalogServices(
  state: FakeConsulState,
  namespace: string,
  query: URLSearchParams,
  response: ServerResponse,
): Promise<void> {
  if (!(await blockUntilPast(state, query, response, () => state.servicesIndex))) return;
  const services: Record<string, string[]> = {};
  for (const { body, namespace: own } of state.services.values()) {
    if (own !== namespace) continue;
    const name = String(body.Name);
    const tags = (body.Tags as string[] | undefined) ?? [];
    services[name] = [...new Set([...(services[name] ?? []), ...tags])];
  }
  answer(response, state.servicesIndex, services);
}
