import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { readLoadgenConfig } from './loadgen.config.js';
import { InvalidLoadgenConfigError } from './loadgen.errors.js';

const BASE = { ORDER_URL: 'http://haproxy:8080/' };

describe('readLoadgenConfig', { timeout: 10_000 }, () => {
  it('has the documented defaults', () => {
    assert.deepEqual(readLoadgenConfig(BASE), {
      orderUrl: 'http://haproxy:8080',
      stockGrpcTarget: undefined,
      ordersPerSecond: 5,
      stockReadsPerSecond: 10,
      skus: ['A-1', 'B-2', 'C-3'],
      maxInFlight: 32,
      reportMs: 5000,
      timeoutMs: 3000,
    });
  });

  it('reads every variable', () => {
    const config = readLoadgenConfig({
      ORDER_URL: 'https://edge.example/api',
      STOCK_GRPC_TARGET: 'haproxy:9090',
      ORDERS_PER_SECOND: '0.5',
      STOCK_READS_PER_SECOND: '0',
      LOADGEN_SKUS: 'A-1, Z_9',
      LOADGEN_MAX_IN_FLIGHT: '4',
      LOADGEN_REPORT_MS: '1000',
      LOADGEN_TIMEOUT_MS: '250',
    });
    assert.equal(config.orderUrl, 'https://edge.example/api');
    assert.equal(config.stockGrpcTarget, 'haproxy:9090');
    assert.equal(config.ordersPerSecond, 0.5);
    assert.equal(config.stockReadsPerSecond, 0);
    assert.deepEqual(config.skus, ['A-1', 'Z_9']);
    assert.equal(config.maxInFlight, 4);
    assert.equal(config.reportMs, 1000);
    assert.equal(config.timeoutMs, 250);
    assert.equal(
      readLoadgenConfig({ ...BASE, STOCK_GRPC_TARGET: '[::1]:50051' }).stockGrpcTarget,
      '[::1]:50051',
    );
  });

  const refused: [Record<string, string>, string][] = [
    [{}, 'ORDER_URL'],
    [{ ORDER_URL: 'haproxy:8080' }, 'ORDER_URL'],
    [{ ORDER_URL: 'ftp://haproxy' }, 'ORDER_URL'],
    [{ ...BASE, STOCK_GRPC_TARGET: 'dns:///haproxy:9090' }, 'STOCK_GRPC_TARGET'],
    [{ ...BASE, STOCK_GRPC_TARGET: 'haproxy:70000' }, 'STOCK_GRPC_TARGET'],
    [{ ...BASE, ORDERS_PER_SECOND: 'fast' }, 'ORDERS_PER_SECOND'],
    [{ ...BASE, ORDERS_PER_SECOND: '-1' }, 'ORDERS_PER_SECOND'],
    [{ ...BASE, STOCK_READS_PER_SECOND: '5000' }, 'STOCK_READS_PER_SECOND'],
    [{ ...BASE, ORDERS_PER_SECOND: '0', STOCK_READS_PER_SECOND: '0' }, 'ORDERS_PER_SECOND'],
    [{ ...BASE, LOADGEN_SKUS: 'A-1,,B-2' }, 'LOADGEN_SKUS'],
    [{ ...BASE, LOADGEN_SKUS: '-bad' }, 'LOADGEN_SKUS'],
    [{ ...BASE, LOADGEN_MAX_IN_FLIGHT: '0' }, 'LOADGEN_MAX_IN_FLIGHT'],
    [{ ...BASE, LOADGEN_MAX_IN_FLIGHT: '2.5' }, 'LOADGEN_MAX_IN_FLIGHT'],
    [{ ...BASE, LOADGEN_REPORT_MS: '10' }, 'LOADGEN_REPORT_MS'],
    [{ ...BASE, LOADGEN_TIMEOUT_MS: '0' }, 'LOADGEN_TIMEOUT_MS'],
  ];
  for (const [env, variable] of refused) {
    it(`refuses ${JSON.stringify(env)}, naming ${variable}`, () => {
      assert.throws(
        () => readLoadgenConfig(env),
        (error: unknown) =>
          error instanceof InvalidLoadgenConfigError &&
          error.variable === variable &&
          error.code === 'INVALID_CONFIG' &&
          error.message.startsWith(`loadgen: ${variable} `),
      );
    });
  }
});
