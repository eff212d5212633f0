import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { OrderConfigError } from '../order.errors.js';
import { parseCorsOrigins } from './edge-security.js';
import { DEFAULT_HTTP_RATE_LIMIT, parseRateLimit, resolveRateLimit } from './rate-limit.js';
import { parseTrustedProxies, resolveTrustedProxies } from './trusted-proxies.js';

describe('HTTP_RATE_LIMIT', { timeout: 10_000 }, () => {
  it('reads <requests>/<window> with a unit', () => {
    assert.deepEqual(parseRateLimit('100/1s'), { limit: 100, windowMs: 1000 });
    assert.deepEqual(parseRateLimit(' 1000 / 1m '), { limit: 1000, windowMs: 60_000 });
    assert.deepEqual(parseRateLimit('20/500ms'), { limit: 20, windowMs: 500 });
    assert.deepEqual(parseRateLimit('5000/1h'), { limit: 5000, windowMs: 3_600_000 });
  });

  it('turns off with false or 0', () => {
    assert.equal(parseRateLimit('false'), false);
    assert.equal(parseRateLimit('0'), false);
    assert.equal(resolveRateLimit(undefined, { HTTP_RATE_LIMIT: 'false' }), false);
    assert.equal(resolveRateLimit(false, { HTTP_RATE_LIMIT: '10/1s' }), false, 'the option wins');
  });

  it('defaults to 100 per second, and the option wins over the environment', () => {
    assert.deepEqual(resolveRateLimit(undefined, {}), DEFAULT_HTTP_RATE_LIMIT);
    assert.deepEqual(DEFAULT_HTTP_RATE_LIMIT, { limit: 100, windowMs: 1000 });
    assert.deepEqual(resolveRateLimit({ limit: 3, windowMs: 50 }, { HTTP_RATE_LIMIT: '10/1s' }), {
      limit: 3,
      windowMs: 50,
    });
  });

  it('refuses anything else with a typed error naming the variable', () => {
    for (const wrong of ['100', '100/s', '100/1', '-1/1s', '1/0s', 'ten/1s', '1.5/1s', 'off', '100/1d']) {
      assert.throws(
        () => parseRateLimit(wrong),
        (error: unknown) =>
          error instanceof OrderConfigError &&
          error.code === 'ORDER_CONFIG' &&
          error.message.startsWith('order: HTTP_RATE_LIMIT must be') &&
          error.message.includes(`"${wrong}"`),
        wrong,
      );
    }
    assert.throws(() => resolveRateLimit({ limit: 0, windowMs: 1000 }), /the rateLimit option/);
  });
});

describe('HTTP_CORS_ORIGINS', { timeout: 10_000 }, () => {
  it('reads exact origins from a comma list; empty is none', () => {
    assert.deepEqual(parseCorsOrigins('https://shop.example.com, http://localhost:5173'), [
      'https://shop.example.com',
      'http://localhost:5173',
    ]);
    assert.deepEqual(parseCorsOrigins(''), []);
  });

  it('refuses wildcards, paths and other schemes, naming the variable', () => {
    for (const wrong of [
      '*',
      'https://shop.example.com/',
      'shop.example.com',
      'https://*.example.com',
      'ftp://x.example',
    ]) {
      assert.throws(
        () => parseCorsOrigins(wrong),
        (error: unknown) =>
          error instanceof OrderConfigError &&
          error.message.startsWith('order: HTTP_CORS_ORIGINS takes exact origins'),
        wrong,
      );
    }
  });
});

describe('HTTP_TRUST_PROXY', { timeout: 10_000 }, () => {
  it('reads hops, addresses, CIDR ranges and range names; empty, false and 0 are none', () => {
    assert.equal(parseTrustedProxies(''), false);
    assert.equal(parseTrustedProxies('false'), false);
    assert.equal(parseTrustedProxies('0'), false);
    assert.equal(parseTrustedProxies('2'), 2);
    assert.deepEqual(parseTrustedProxies('loopback, 10.0.0.0/8,fd00::/8, 192.168.1.7'), [
      'loopback',
      '10.0.0.0/8',
      'fd00::/8',
      '192.168.1.7',
    ]);
    assert.deepEqual(resolveTrustedProxies(['uniquelocal']), ['uniquelocal']);
    assert.equal(resolveTrustedProxies(false), false);
  });

  it('refuses true (any client could pick its address) and what is not an address', () => {
    for (const wrong of ['true', '10.0.0.0/33', 'proxy.example.com', '10.0.0.1/8/2', 'loopback,*']) {
      assert.throws(
        () => parseTrustedProxies(wrong),
        (error: unknown) =>
          error instanceof OrderConfigError && error.message.startsWith('order: HTTP_TRUST_PROXY takes'),
        wrong,
      );
    }
    assert.throws(() => parseTrustedProxies('true'), /choose its own address/);
  });
});
