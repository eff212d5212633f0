// The order app's HTTP edge as a client meets it: real `node apps/order/dist/main.js` processes
// configured by environment, over HTTP. One with the defaults, one with a small rate limit and
// a CORS origin.
import assert from 'node:assert/strict';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_HTTP_BODY_LIMIT_BYTES, MAX_ORDER_ITEMS } from '@nestmesh/order';
import { startAppProcess, type AppProcess } from '@nestmesh/testing';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ALLOWED_ORIGIN = 'https://shop.example.com';
/** Per minute, so that the whole burst falls in one window even on a loaded machine. */
const LIMIT = 20;

async function startOrder(env: Record<string, string>): Promise<{ app: AppProcess; url: string }> {
  const app = await startAppProcess(join(root, 'apps/order/dist/main.js'), {
    env: {
      PORT: '0',
      DISCOVERY_URL: 'memory://',
      HTTP_RATE_LIMIT: undefined,
      HTTP_CORS_ORIGINS: undefined,
      HTTP_TRUST_PROXY: undefined,
      ...env,
    },
    readyPattern: /order ready http=(\S+) grpc=/,
  });
  return { app, url: app.ready[1] };
}

function preflight(url: string, origin: string): Promise<Response> {
  return fetch(url, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type',
    },
  });
}

async function problemOf(response: Response): Promise<{ status: number; code: string; detail: string }> {
  assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
  return (await response.json()) as { status: number; code: string; detail: string };
}

const postOrder = (url: string, body: string) =>
  fetch(`${url}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

describe('the order app HTTP edge', { timeout: 120_000 }, () => {
  let plain: { app: AppProcess; url: string };
  let limited: { app: AppProcess; url: string };
  let proxied: { app: AppProcess; url: string };
  before(async () => {
    [plain, limited, proxied] = await Promise.all([
      startOrder({}),
      startOrder({
        HTTP_RATE_LIMIT: `${LIMIT}/1m`,
        HTTP_CORS_ORIGINS: `${ALLOWED_ORIGIN}, http://localhost:5173`,
      }),
      startOrder({ HTTP_RATE_LIMIT: '2/1m', HTTP_TRUST_PROXY: 'loopback' }),
    ]);
  });
  after(() => Promise.all([plain?.app.stop(), limited?.app.stop(), proxied?.app.stop()]));

  it('sends security headers on API answers and the dashboard, and no x-powered-by', async () => {
    for (const path of ['/healthz', '/orders/none', '/mesh/', '/mesh/dashboard.js']) {
      const response = await fetch(`${plain.url}${path}`);
      await response.arrayBuffer();
      const headers = response.headers;
      assert.equal(headers.get('x-powered-by'), null, path);
      assert.equal(headers.get('x-content-type-options'), 'nosniff', path);
      assert.match(headers.get('strict-transport-security') ?? '', /max-age=\d+/, path);
      assert.equal(headers.get('x-frame-options'), 'SAMEORIGIN', path);
      assert.equal(headers.get('referrer-policy'), 'no-referrer', path);
      assert.match(headers.get('cross-origin-opener-policy') ?? '', /same-origin/, path);
      const policy = headers.get('content-security-policy') ?? '';
      assert.match(policy, /default-src 'self'/, path);
      assert.match(policy, /script-src 'self'(;|$)/, `${path}: no inline or foreign script: ${policy}`);
      assert.match(policy, /frame-ancestors 'none'/, path);
    }
  });

  it('limits a burst from one client with 429 problems and Retry-After, never the probes', async () => {
    const statuses = await Promise.all(
      // Each claims another address: without trusted proxies the header changes nothing.
      Array.from({ length: LIMIT + 10 }, (_, index) =>
        fetch(`${limited.url}/orders/none`, { headers: { 'x-forwarded-for': `203.0.113.${index + 1}` } }),
      ),
    ).then((responses) =>
      Promise.all(responses.map(async (response) => ({ response, body: await response.text() }))),
    );
    const refused = statuses.filter(({ response }) => response.status === 429);
    const served = statuses.filter(({ response }) => response.status !== 429);
    assert.ok(served.length <= LIMIT, `at most ${LIMIT} served in the window, got ${served.length}`);
    assert.ok(refused.length >= 10, `the rest refused, got ${refused.length}`);
    const { response, body } = refused[0];
    assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
    const problem = JSON.parse(body) as { status: number; code: string; detail: string };
    assert.equal(problem.status, 429);
    assert.equal(problem.code, 'TOO_MANY_REQUESTS');
    assert.match(problem.detail, new RegExp(`limit is ${LIMIT} per 60000 ms`));
    const retryAfter = Number(response.headers.get('retry-after'));
    assert.ok(
      Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60,
      `Retry-After ${retryAfter}`,
    );
    assert.equal((await fetch(`${limited.url}/orders/none`)).status, 429, 'still limited');
    for (const probe of ['/healthz', '/readyz', '/metrics']) {
      const answer = await fetch(`${limited.url}${probe}`);
      await answer.arrayBuffer();
      assert.notEqual(answer.status, 429, `${probe} is never limited`);
    }
    assert.equal((await fetch(`${limited.url}/healthz`)).status, 200);
  });

  it('behind a trusted proxy, counts each client of X-Forwarded-For on its own', async () => {
    // Whether each request was limited (429), as the client named by the proxy.
    const limitedFor = (client: string) =>
      fetch(`${proxied.url}/orders/none`, { headers: { 'x-forwarded-for': client } }).then(
        async (response) => {
          await response.arrayBuffer();
          return response.status === 429;
        },
      );
    const first = [
      await limitedFor('198.51.100.1'),
      await limitedFor('198.51.100.1'),
      await limitedFor('198.51.100.1'),
    ];
    assert.deepEqual(first, [false, false, true], 'the first client: two, then limited');
    assert.equal(await limitedFor('198.51.100.2'), false, 'another client behind the same proxy is not');
  });

  it('refuses a CORS preflight by default and allows it for a configured origin only', async () => {
    const refused = await preflight(`${plain.url}/orders`, ALLOWED_ORIGIN);
    await refused.arrayBuffer();
    assert.equal(refused.headers.get('access-control-allow-origin'), null);
    assert.equal(refused.status, 404, 'no CORS: no route answers OPTIONS');

    const allowed = await preflight(`${limited.url}/orders`, ALLOWED_ORIGIN);
    assert.equal(allowed.status, 204);
    assert.equal(allowed.headers.get('access-control-allow-origin'), ALLOWED_ORIGIN);
    assert.match(allowed.headers.get('access-control-allow-methods') ?? '', /POST/);
    assert.match(allowed.headers.get('access-control-allow-headers') ?? '', /content-type/i);

    const other = await preflight(`${limited.url}/orders`, 'https://evil.example.com');
    assert.equal(other.headers.get('access-control-allow-origin'), null, 'an origin not listed gets nothing');
    const subdomain = await preflight(`${limited.url}/orders`, 'https://x.shop.example.com');
    assert.equal(subdomain.headers.get('access-control-allow-origin'), null, 'origins match exactly');
  });

  it('answers an over-size body 413 and too many items 400', async () => {
    const huge = JSON.stringify({
      items: [{ sku: 'A-1', quantity: 1 }],
      note: 'x'.repeat(DEFAULT_HTTP_BODY_LIMIT_BYTES),
    });
    const tooLarge = await problemOf(await postOrder(plain.url, huge));
    assert.equal(tooLarge.status, 413);
    assert.equal(tooLarge.code, 'PAYLOAD_TOO_LARGE');

    const items = Array.from({ length: MAX_ORDER_ITEMS + 1 }, (_, index) => ({
      sku: `A-${index}`,
      quantity: 1,
    }));
    const tooMany = await problemOf(await postOrder(plain.url, JSON.stringify({ items })));
    assert.equal(tooMany.status, 400);
    assert.equal(tooMany.code, 'INVALID_ARGUMENT');
    assert.match(tooMany.detail, new RegExp(`items.*${MAX_ORDER_ITEMS}`));
  });
});
