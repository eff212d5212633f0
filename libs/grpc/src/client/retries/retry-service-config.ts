import type { MethodConfig, ServiceConfig } from '@grpc/grpc-js';

import { InvalidGrpcOptionsError } from '../../grpc.errors.js';
import type { AnyServiceDefinition } from '../../server/service-definition.js';
import { methodsOf, protoNameOf } from './method-idempotency.js';
import type { HedgingSettings, RetrySettings, StatusName } from './retry-options.js';

/**
 * A duration as grpc-js' service config reads it: decimal seconds with an `s` and at most nine
 * decimals (`"0.05s"`). Anything else makes grpc-js drop the whole service config, silently.
 */
export function durationOf(ms: number): string {
  const seconds = (Math.round(ms * 1e6) / 1e9).toFixed(9).replace(/\.?0+$/, '');
  return `${seconds}s`;
}

export interface RetryPlan {
  /** The client's service, as `definition` names it. */
  definition: AnyServiceDefinition;
  /** Proto names of the idempotent methods. */
  idempotent: ReadonlySet<string>;
  retry: RetrySettings | false;
  hedging: HedgingSettings | undefined;
}

/**
 * The service config of a mesh client: `loadBalancingConfig` (the balancer's) plus one method
 * config for the whole service (retries on `retry.codes`), one per idempotent method (retries
 * on `retry.idempotentCodes`) and one per hedged method (its hedgingPolicy), and grpc-js'
 * `retryThrottling`. grpc-js picks a method's own config over the service's.
 */
export function retryServiceConfig(
  balancing: { loadBalancingConfig: object[] },
  plan: RetryPlan,
): ServiceConfig {
  const { service, methods } = methodsOf(plan.definition);
  const hedged = new Set(
    (plan.hedging?.methods ?? []).map((name) => protoNameOf(name, methods, 'hedging.methods')),
  );
  for (const method of hedged) {
    if (!plan.idempotent.has(method)) {
      throw new InvalidGrpcOptionsError(
        'hedging.methods',
        `names ${method}, which is not idempotent: hedging runs it more than once (mark it idempotency_level = IDEMPOTENT in the proto, or list it in idempotentMethods)`,
      );
    }
  }
  const methodConfig: MethodConfig[] = [];
  const { retry, hedging } = plan;
  if (retry) methodConfig.push({ name: [{ service }], retryPolicy: retryPolicy(retry, retry.codes) });
  for (const method of plan.idempotent) {
    const name = [{ service, method }];
    if (hedging && hedged.has(method)) {
      const nonFatal = retry ? retry.idempotentCodes : (['UNAVAILABLE'] as StatusName[]);
      methodConfig.push({
        name,
        hedgingPolicy: {
          maxAttempts: hedging.maxAttempts,
          hedgingDelay: durationOf(hedging.delayMs),
          // UNAVAILABLE always: it is also how the retry budget refuses a hedge (p2c.picker.ts).
          nonFatalStatusCodes: [...new Set<StatusName>(['UNAVAILABLE', ...nonFatal])],
        },
      });
    } else if (retry) {
      methodConfig.push({ name, retryPolicy: retryPolicy(retry, retry.idempotentCodes) });
    }
  }
  const loadBalancingConfig = balancing.loadBalancingConfig as ServiceConfig['loadBalancingConfig'];
  const config: ServiceConfig = { loadBalancingConfig, methodConfig };
  if (retry && retry.throttling) config.retryThrottling = { ...retry.throttling };
  return config;
}

function retryPolicy(retry: RetrySettings, codes: StatusName[]): MethodConfig['retryPolicy'] {
  return {
    maxAttempts: retry.maxAttempts,
    initialBackoff: durationOf(retry.initialBackoffMs),
    maxBackoff: durationOf(retry.maxBackoffMs),
    backoffMultiplier: retry.backoffMultiplier,
    retryableStatusCodes: [...codes],
  };
}
