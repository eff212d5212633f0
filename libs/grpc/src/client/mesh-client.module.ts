import { Inject, Module } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { DynamicModule, OnApplicationShutdown, Provider } from '@nestjs/common';
import type { ChannelCredentials, ChannelOptions, Interceptor } from '@grpc/grpc-js';
import { Discovery, isServiceName } from '@nestmesh/discovery';

import { InvalidGrpcOptionsError } from '../grpc.errors.js';
import type { AnyServiceDefinition } from '../server/service-definition.js';
import { setupP2cBalancer } from './balancers/p2c.balancer.js';
import {
  DEFAULT_BALANCER,
  DEFAULT_CLIENT_TIMEOUT_MS,
  DEFAULT_SERVICE_CONFIG,
  DEFAULT_STREAM_TIMEOUT_MS,
  ROUND_ROBIN_SERVICE_CONFIG,
  type BalancerName,
} from './mesh-client.constants.js';
import {
  attachDiscovery,
  DISCOVERY_CHANNEL_OPTION,
  MESH_SCHEME,
  setupMeshResolver,
} from './mesh.resolver.js';
import { tracingRegistered } from '../telemetry/rpc-telemetry.js';
import { ClientTracing } from './middleware/tracing.js';
import { CircuitBreaker } from './middleware/circuit-breaker.js';
import { circuitBreakerSettings, type CircuitBreakerOptions } from './middleware/circuit-breaker.config.js';
import { MeshChannels } from './mesh-channels.js';
import { createMeshClient } from './typed-client.js';
import { DEFAULT_BUDGET_MARGIN_MS } from './middleware/deadline-budget.js';
import { grpcChannelOptions, validateChannelOptions, type MeshChannelOptions } from './channel-options.js';
import {
  BALANCER_CLOCK_CHANNEL_OPTION,
  SYSTEM_BALANCER_CLOCK,
  type BalancerClock,
} from './balancers/p2c.config.js';
import { clientRetries, type ClientRetries, type ClientRetryOptions } from './retries/client-retries.js';
import { RETRY_BUDGET_CHANNEL_OPTION, RetryBudget } from './retries/retry-budget.js';
import { clientTransport } from '../tls/transport-security.js';
import type { MeshTlsOptions } from '../tls/tls.options.js';
import { MeshGrpcServer } from '../server/mesh-grpc.server.js';
import { SubsetPolicy } from './subsetting/subset-policy.js';
import { subsetSettings, type SubsetOptions } from './subsetting/subset.options.js';

export interface MeshClientOptions<S extends AnyServiceDefinition = AnyServiceDefinition>
  extends MeshChannelOptions, ClientRetryOptions {
  /** The service name in discovery; the channel dials `mesh:///<service>`. */
  service: string;
  /** ts-proto grpc-js service definition (`InventoryServiceService`). */
  definition: S;
  /** Deadline of unary calls that set none, in ms; 0: none. Default 5000. */
  timeoutMs?: number;
  /** Deadline of streaming calls that set none, in ms; 0 (default): none. */
  streamTimeoutMs?: number;
  /**
   * A call made while a handler serves an inbound call gets at most that call's remaining
   * deadline less this margin, in ms (docs/grpc.md, "Deadline budgets"). Default 5.
   */
  budgetMarginMs?: number;
  /**
   * How calls are spread over the instances: `p2c` (default: power of two choices on latency,
   * in-flight calls and success rate, failing instances ejected) or `round_robin`. A
   * `grpc.service_config` in `channelOptions` wins over this.
   */
  balancer?: BalancerName;
  /**
   * Deterministic subsetting (docs/grpc.md, "Subsetting"): above `threshold` live instances
   * (default 2 × size), connect to `size` of them (default 20), chosen so that every instance
   * gets as many clients as the others, give or take one. On by default; `false` connects to
   * every instance whatever their number.
   */
  subset?: SubsetOptions | false;
  /**
   * Client-side adaptive throttling per method (docs/grpc.md, "Circuit breaker"): on by
   * default (K 2, window 10 s, 20 requests before it may reject); `false` turns it off.
   */
  circuitBreaker?: false | CircuitBreakerOptions;
  /**
   * TLS to the service (docs/grpc.md "TLS and mutual TLS"): the server certificate is verified
   * against `caFile` and must carry the service name (or `serverName`); `certFile`/`keyFile`
   * are presented for mutual TLS. Default: from GRPC_TLS_* (tlsFromEnv), plaintext when none
   * is set; `false` = plaintext even when they are. Sibling channels use the same credentials.
   */
  tls?: MeshTlsOptions | false;
  /** Your own grpc-js credentials instead of `tls` (both set is refused). Default insecure. */
  credentials?: ChannelCredentials;
  /**
   * grpc-js channel options; `grpc.service_config` defaults to the one built from `balancer`,
   * `retry` and `hedging`, and one given here replaces it whole (its own retry policy or none).
   * The named options above (`compression`, `keepaliveTimeMs`, …) win over the same keys here.
   */
  channelOptions?: ChannelOptions;
}

const tokens = new WeakMap<object, symbol>();

/** The injection token of the client for `definition` (one per definition object). */
export function meshClientToken(definition: AnyServiceDefinition): symbol {
  let token = tokens.get(definition);
  if (!token) {
    const first = Object.values(definition)[0];
    token = Symbol(`MeshClient(${first?.path.split('/')[1] ?? 'unknown'})`);
    tokens.set(definition, token);
  }
  return token;
}

/** Injects the typed client registered for `definition`: `@InjectMeshClient(InventoryServiceService)`. */
export const InjectMeshClient = (definition: AnyServiceDefinition) => Inject(meshClientToken(definition));

function validate(options: MeshClientOptions): ClientRetries {
  if (!options || typeof options !== 'object') throw new InvalidGrpcOptionsError('options', 'are missing');
  if (!isServiceName(options.service)) {
    throw new InvalidGrpcOptionsError(
      'service',
      `must be a service name like "inventory", got ${JSON.stringify(options.service)}`,
    );
  }
  const methods =
    options.definition && typeof options.definition === 'object' ? Object.values(options.definition) : [];
  if (methods.length === 0 || methods.some((method) => typeof method?.path !== 'string')) {
    throw new InvalidGrpcOptionsError(
      'definition',
      'must be a grpc-js service definition (ts-proto outputServices=grpc-js)',
    );
  }
  for (const name of ['timeoutMs', 'streamTimeoutMs', 'budgetMarginMs'] as const) {
    const value = options[name];
    if (value !== undefined && (!Number.isFinite(value) || value < 0)) {
      throw new InvalidGrpcOptionsError(name, `must be a duration in ms ≥ 0, got ${value}`);
    }
  }
  if (options.balancer !== undefined && !BALANCERS.includes(options.balancer)) {
    throw new InvalidGrpcOptionsError(
      'balancer',
      `must be one of ${BALANCERS.join(', ')}, got ${JSON.stringify(options.balancer)}`,
    );
  }
  validateChannelOptions(options);
  userInterceptors(options);
  circuitBreakerSettings(options.circuitBreaker);
  subsetSettings(options.subset);
  return clientRetries(options, SERVICE_CONFIGS[options.balancer ?? DEFAULT_BALANCER]);
}

/** `channelOptions.interceptors`, checked: grpc-js client interceptors, run after the mesh's own. */
function userInterceptors(options: MeshClientOptions): Interceptor[] {
  const given: unknown = options.channelOptions?.interceptors;
  if (given === undefined) return [];
  if (!Array.isArray(given) || given.some((each) => typeof each !== 'function')) {
    throw new InvalidGrpcOptionsError(
      'channelOptions.interceptors',
      'must be an array of grpc-js client interceptors (functions)',
    );
  }
  return given as Interceptor[];
}

const BALANCERS: readonly BalancerName[] = ['p2c', 'round_robin'];
const SERVICE_CONFIGS: Record<BalancerName, { loadBalancingConfig: object[] }> = {
  p2c: DEFAULT_SERVICE_CONFIG,
  round_robin: ROUND_ROBIN_SERVICE_CONFIG,
};

function retryBudgetOf(retries: ClientRetries, options: MeshClientOptions): RetryBudget | undefined {
  if (!retries.budget) return undefined;
  const clock =
    (options.channelOptions?.[BALANCER_CLOCK_CHANNEL_OPTION] as BalancerClock | undefined) ??
    SYSTEM_BALANCER_CLOCK;
  return new RetryBudget(retries.budget, () => clock.now());
}

/** The client's SubsetPolicy, its rank read from the app's own MeshGrpcServer, if it has one. */
function subsetPolicy(options: MeshClientOptions, discovery: Discovery, moduleRef: ModuleRef) {
  const settings = subsetSettings(options.subset);
  if (!settings) return undefined;
  let server: MeshGrpcServer | undefined;
  try {
    server = moduleRef.get(MeshGrpcServer, { strict: false });
  } catch {
    // A client-only app: no rank of its own, a random place on the ring.
  }
  return new SubsetPolicy(settings, discovery, () => server?.instance);
}

/** Closes the channels when the app has finished shutting down (after servers drained). */
class ChannelCloser implements OnApplicationShutdown {
  constructor(private readonly close: () => void) {}
  onApplicationShutdown(): void {
    this.close();
  }
}

/**
 * A typed client that dials a service by name and balances over its live instances:
 * `MeshClientModule.register({ service: 'inventory', definition: InventoryServiceService })`,
 * then `@InjectMeshClient(InventoryServiceService) inventory: MeshClient<InventoryServiceService>`.
 * Needs a Discovery (DiscoveryModule.forRoot()).
 */
@Module({})
export class MeshClientModule {
  static register<S extends AnyServiceDefinition>(options: MeshClientOptions<S>): DynamicModule {
    const retries = validate(options);
    const token = meshClientToken(options.definition);
    const channelToken = Symbol(`channel:${options.service}`);
    const providers: Provider[] = [
      {
        provide: channelToken,
        inject: [Discovery, ModuleRef],
        useFactory: (discovery: Discovery, moduleRef: ModuleRef) => {
          setupMeshResolver();
          setupP2cBalancer();
          // TLS settings are read (files checked) when the app is built, as the server's are.
          const transport = clientTransport(options);
          const attached = attachDiscovery(discovery, subsetPolicy(options, discovery, moduleRef));
          // Tracing only with an SDK registered before the app was built (else it would cost per
          // call for nothing); first, so that a call the breaker rejects still gets its span.
          const interceptors = [
            ...(tracingRegistered()
              ? [new ClientTracing({ service: options.service, instanceAt: attached.instanceAt }).interceptor]
              : []),
            ...(options.circuitBreaker === false
              ? []
              : [new CircuitBreaker(options.service, options.circuitBreaker).interceptor]),
            // The user's own last: they see every call that is sent (not one the breaker refused).
            ...userInterceptors(options),
          ];
          const channels = new MeshChannels(`${MESH_SCHEME}:///${options.service}`, transport.credentials, {
            'grpc.service_config': JSON.stringify(retries.serviceConfig),
            ...options.channelOptions,
            ...transport.channelOptions,
            // One budget for the service, over its sibling channels too.
            [RETRY_BUDGET_CHANNEL_OPTION]: retryBudgetOf(retries, options),
            ...grpcChannelOptions(options),
            // Siblings carry the same value: their resolvers follow the same Discovery.
            [DISCOVERY_CHANNEL_OPTION]: attached.optionValue,
            interceptors,
          });
          return {
            channels,
            // Every channel of the attachment is closed before it is released, once.
            closer: new ChannelCloser(() => {
              channels.close();
              attached.release();
            }),
          };
        },
      },
      {
        provide: token,
        inject: [channelToken],
        useFactory: ({ channels }: { channels: MeshChannels }) =>
          createMeshClient(options.definition, channels, {
            timeoutMs: options.timeoutMs ?? DEFAULT_CLIENT_TIMEOUT_MS,
            streamTimeoutMs: options.streamTimeoutMs ?? DEFAULT_STREAM_TIMEOUT_MS,
            budgetMarginMs: options.budgetMarginMs ?? DEFAULT_BUDGET_MARGIN_MS,
          }),
      },
      {
        provide: `${String(channelToken)}:closer`,
        inject: [channelToken],
        useFactory: ({ closer }: { closer: ChannelCloser }) => closer,
      },
    ];
    return { module: MeshClientModule, providers, exports: [token] };
  }
}
