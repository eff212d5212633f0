import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MethodConfig, ServiceConfig } from '@grpc/grpc-js';
// grpc-js' own validation, which drops a service config it rejects without a word.
import { validateServiceConfig } from '@grpc/grpc-js/build/src/service-config.js';
import { descriptorSet } from '@nestmesh/contracts';
import { EchoServiceService } from '@nestmesh/contracts/echo/v1';
import { InventoryServiceService } from '@nestmesh/contracts/inventory/v1';

import { InvalidGrpcOptionsError } from '../../grpc.errors.js';
import { DEFAULT_SERVICE_CONFIG, ROUND_ROBIN_SERVICE_CONFIG } from '../mesh-client.constants.js';
import { clientRetries, type ClientRetryOptions } from './client-retries.js';
import { idempotentInDescriptorSet } from './method-idempotency.js';
import { DEFAULT_RETRY_BUDGET } from './retry-options.js';
import { durationOf } from './retry-service-config.js';

const INVENTORY = 'inventory.v1.InventoryService';

function inventoryConfig(options: ClientRetryOptions = {}, balancer = 'p2c') {
  const balancing = balancer === 'p2c' ? DEFAULT_SERVICE_CONFIG : ROUND_ROBIN_SERVICE_CONFIG;
  return clientRetries(
    { definition: InventoryServiceService, descriptorSet, balancer, ...options },
    balancing,
  );
}

/** The method config grpc-js would apply to `method`: its own first, else the service's. */
function configFor(config: ServiceConfig, method: string): MethodConfig | undefined {
  const own = config.methodConfig.find((entry) => entry.name.some((name) => name.method === method));
  return own ?? config.methodConfig.find((entry) => entry.name.some((name) => name.method === undefined));
}

/** The config as grpc-js reads it from the channel option: a JSON string, validated. */
function asGrpcJsReadsIt(config: ServiceConfig): ServiceConfig {
  return validateServiceConfig(JSON.parse(JSON.stringify(config)));
}

describe('generated service config', { timeout: 10_000 }, () => {
  it('writes durations as grpc-js parses them: decimal seconds, at most nine decimals', () => {
    assert.equal(durationOf(50), '0.05s');
    assert.equal(durationOf(1_000), '1s');
    assert.equal(durationOf(1_500), '1.5s');
    assert.equal(durationOf(0), '0s');
    assert.equal(durationOf(0.000_001), '0.000000001s');
    for (const ms of [0, 1, 33.3, 50, 999, 120_000]) assert.match(durationOf(ms), /^\d+(\.\d{1,9})?s$/);
  });

  it('reads idempotency_level from the descriptor set: marked methods only', () => {
    const idempotent = idempotentInDescriptorSet(descriptorSet, INVENTORY);
    for (const method of ['GetStock', 'WatchStock', 'FollowStock', 'ReserveStock', 'ConfirmReservations']) {
      assert.ok(idempotent.has(method), `${method} is marked in inventory.proto`);
    }
    for (const method of ['ReleaseReservation', 'ImportStock']) assert.ok(!idempotent.has(method), method);
    assert.throws(() => idempotentInDescriptorSet(descriptorSet, 'nope.v1.Nothing'), InvalidGrpcOptionsError);
    assert.throws(
      () => idempotentInDescriptorSet(Uint8Array.of(0xff, 0xff), INVENTORY),
      InvalidGrpcOptionsError,
    );
  });

  it('by default: UNAVAILABLE on every method, broader codes on idempotent ones, validated by grpc-js', () => {
    const { serviceConfig, budget } = inventoryConfig();
    const validated = asGrpcJsReadsIt(serviceConfig);
    assert.deepEqual(validated.loadBalancingConfig, DEFAULT_SERVICE_CONFIG.loadBalancingConfig);
    assert.deepEqual(validated.retryThrottling, { maxTokens: 100, tokenRatio: 0.5 });
    const release = configFor(validated, 'ReleaseReservation')?.retryPolicy;
    assert.deepEqual(release, {
      maxAttempts: 3,
      initialBackoff: '0.05s',
      maxBackoff: '1s',
      backoffMultiplier: 2,
      retryableStatusCodes: ['UNAVAILABLE'],
    });
    const getStock = configFor(validated, 'GetStock')?.retryPolicy;
    assert.deepEqual(getStock?.retryableStatusCodes, ['UNAVAILABLE', 'RESOURCE_EXHAUSTED', 'ABORTED']);
    assert.deepEqual(budget, DEFAULT_RETRY_BUDGET);
  });

  it('without a descriptor set only the methods named in idempotentMethods get the broader codes', () => {
    const { serviceConfig } = clientRetries(
      { definition: EchoServiceService, idempotentMethods: ['expand'] },
      DEFAULT_SERVICE_CONFIG,
    );
    const validated = asGrpcJsReadsIt(serviceConfig);
    assert.deepEqual(configFor(validated, 'Echo')?.retryPolicy?.retryableStatusCodes, ['UNAVAILABLE']);
    assert.equal(configFor(validated, 'Expand')?.retryPolicy?.retryableStatusCodes.length, 3);
  });

  it('hedges an idempotent method with a hedgingPolicy that grpc-js accepts', () => {
    const { serviceConfig } = inventoryConfig({ hedging: { methods: ['GetStock'], delayMs: 30 } });
    const hedging = configFor(asGrpcJsReadsIt(serviceConfig), 'GetStock')?.hedgingPolicy;
    assert.deepEqual(hedging, {
      maxAttempts: 2,
      hedgingDelay: '0.03s',
      nonFatalStatusCodes: ['UNAVAILABLE', 'RESOURCE_EXHAUSTED', 'ABORTED'],
    });
    assert.equal(configFor(serviceConfig, 'GetStock')?.retryPolicy, undefined);
  });

  it('retry: false leaves no retry policy and no throttle', () => {
    const { serviceConfig, budget } = inventoryConfig({ retry: false });
    assert.deepEqual(asGrpcJsReadsIt(serviceConfig).methodConfig, []);
    assert.equal(serviceConfig.retryThrottling, undefined);
    assert.equal(budget, false);
  });

  it('refuses at startup what cannot work, naming the option', () => {
    const refusals: [ClientRetryOptions, string, string?][] = [
      [{ hedging: { methods: ['ReleaseReservation'], delayMs: 10 } }, 'hedging.methods'],
      [{ hedging: { methods: ['NoSuchMethod'], delayMs: 10 } }, 'hedging.methods'],
      [{ hedging: { methods: ['GetStock'], delayMs: -1 } }, 'hedging.delayMs'],
      [{ hedging: { methods: ['GetStock'], delayMs: 10 } }, 'hedging', 'round_robin'],
      [{ retry: { budget: { ratio: 0.5 } } }, 'retry.budget', 'round_robin'],
      [{ idempotentMethods: ['Nope'] }, 'idempotentMethods'],
      [{ retry: { maxAttempts: 6 } }, 'retry.maxAttempts'],
      [{ retry: { maxAttempts: 1 } }, 'retry.maxAttempts'],
      [{ retry: { codes: ['DEADLINE_EXCEEDED'] } }, 'retry.codes'],
      [{ retry: { idempotentCodes: ['NOT_A_CODE' as 'ABORTED'] } }, 'retry.idempotentCodes'],
      [{ retry: { initialBackoffMs: 500, maxBackoffMs: 100 } }, 'retry.maxBackoffMs'],
      [{ retry: { throttling: { maxTokens: 5_000 } } }, 'retry.throttling.maxTokens'],
      [{ retry: { budget: { windowMs: 0 } } }, 'retry.budget.windowMs'],
      [{ retry: { maxAttempt: 4 } as never }, 'retry.maxAttempt'],
      [{ retry: { budget: { percent: 20 } } as never }, 'retry.budget.percent'],
      [{ hedging: { methods: ['GetStock'], delayMs: 5, delay: 5 } as never }, 'hedging.delay'],
      [{ retry: false, hedging: { methods: ['GetStock'], delayMs: 10 } }, 'hedging', 'round_robin'],
    ];
    for (const [options, option, balancer] of refusals) {
      assert.throws(
        () => inventoryConfig(options, balancer),
        (error: unknown) => error instanceof InvalidGrpcOptionsError && error.option === option,
        `${JSON.stringify(options)} should be refused as ${option}`,
      );
    }
  });

  it('round robin keeps retries and grpc-js throttling, without a budget', () => {
    const { serviceConfig, budget } = inventoryConfig({}, 'round_robin');
    assert.equal(configFor(asGrpcJsReadsIt(serviceConfig), 'GetStock')?.retryPolicy?.maxAttempts, 3);
    assert.equal(budget, false);
  });
});
