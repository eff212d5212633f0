import type { ServiceConfig } from '@grpc/grpc-js';

import { InvalidGrpcOptionsError } from '../../grpc.errors.js';
import type { AnyServiceDefinition } from '../../server/service-definition.js';
import { idempotentMethods } from './method-idempotency.js';
import {
  DEFAULT_RETRY_BUDGET,
  parseHedgingOptions,
  parseRetryOptions,
  type HedgingOptions,
  type RetryBudgetSettings,
  type RetryOptions,
} from './retry-options.js';
import { retryServiceConfig } from './retry-service-config.js';

/** The options of `MeshClientModule.register` that shape retries and hedging. */
export interface ClientRetryOptions {
  /**
   * Retries of failed calls (docs/grpc.md, "Retries"): by default UNAVAILABLE is retried on
   * every method, UNAVAILABLE, RESOURCE_EXHAUSTED and ABORTED on idempotent ones, three
   * attempts at most, under a retry budget of 20 % of the requests. `false`: no retries.
   */
  retry?: false | RetryOptions;
  /** Hedged methods (docs/grpc.md, "Hedging"); only idempotent ones, or startup fails. Default none. */
  hedging?: HedgingOptions;
  /**
   * Methods safe to run twice, besides those the proto marks (`descriptorSet`), by proto
   * (`GetStock`) or client name (`getStock`). Prefer the proto's `idempotency_level`.
   */
  idempotentMethods?: string[];
  /**
   * The FileDescriptorSet of the service's proto (`descriptorSet` of `@nestmesh/contracts`):
   * methods marked `option idempotency_level = IDEMPOTENT` (or `NO_SIDE_EFFECTS`) there are
   * idempotent. Without it only `idempotentMethods` are.
   */
  descriptorSet?: Uint8Array;
}

export interface ClientRetries {
  /** `grpc.service_config` of the client's channels. */
  serviceConfig: ServiceConfig;
  /** The settings of the client's retry budget, or false for none. */
  budget: RetryBudgetSettings | false;
}

/**
 * The service config and retry budget of a client, validated: bad options, a hedged method
 * that is not idempotent or a budget asked of a balancer that cannot keep one throw
 * InvalidGrpcOptionsError when the module is built.
 */
export function clientRetries(
  options: ClientRetryOptions & { definition: AnyServiceDefinition; balancer?: string },
  balancing: { loadBalancingConfig: object[] },
): ClientRetries {
  const retry = parseRetryOptions(options.retry);
  const hedging = parseHedgingOptions(options.hedging);
  const idempotent = idempotentMethods(options.definition, options.descriptorSet, options.idempotentMethods);
  const serviceConfig = retryServiceConfig(balancing, {
    definition: options.definition,
    idempotent,
    retry,
    hedging,
  });
  // The budget is kept by the p2c picker, which sees every attempt; round robin's cannot.
  const roundRobin = options.balancer === 'round_robin';
  if (roundRobin && ((options.retry && options.retry.budget) || hedging)) {
    throw new InvalidGrpcOptionsError(
      hedging ? 'hedging' : 'retry.budget',
      'needs the p2c balancer, which keeps the retry budget (round_robin retries are bounded by grpc-js throttling only)',
    );
  }
  // Hedges are never throttled by grpc-js: with retries off they still get the default budget.
  const budget = roundRobin ? false : retry ? retry.budget : hedging ? { ...DEFAULT_RETRY_BUDGET } : false;
  if (hedging && !budget) {
    throw new InvalidGrpcOptionsError('hedging', 'needs a retry budget: retry.budget must not be false');
  }
  return { serviceConfig, budget };
}
