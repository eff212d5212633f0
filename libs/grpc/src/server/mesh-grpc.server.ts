import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type { OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Server } from '@grpc/grpc-js';
import {
  HealthService as HealthServiceDefinition,
  type HealthServer,
} from '@nestmesh/contracts/grpc/health/v1';
import { Registrar, type ServiceInstance } from '@nestmesh/discovery';
import { currentTelemetry, metricsServerPort, TELEMETRY_PORT_METADATA } from '@nestmesh/telemetry';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

import { GrpcListenError } from '../grpc.errors.js';
import { statusOf } from '../status/status-mapping.js';
import type { ErrorToStatus } from './call-adapters.js';
import { GrpcHandlerExplorer } from './grpc-handler.explorer.js';
import { HealthService, ServingStatus } from './health.service.js';
import {
  DEFAULT_DEREGISTER_DELAY_MS,
  DEFAULT_DRAIN_TIMEOUT_MS,
  DEFAULT_HOST,
  DEFAULT_PORT,
} from './mesh-grpc.constants.js';
import { MESH_GRPC_OPTIONS, type MeshGrpcModuleOptions } from './mesh-grpc.module-definition.js';
import { REFLECTION_SERVICES, ServerReflection } from './reflection/reflection.service.js';
import { bindServices } from './service-binder.js';
import { serviceNameOf } from './service-definition.js';
import { LoadShedder, type Refusal } from './shedding/load-shedder.js';
import { resolveShedding } from './shedding/shedding.options.js';
import {
  ServerTelemetry,
  tracedServerStreaming,
  tracedUnary,
  type ServerEndpoint,
} from './server-tracing.js';
import { validateServerOptions } from './validate-server-options.js';
import { serverTransport, transportMetadata, type ServerTransport } from '../tls/transport-security.js';
import { withDownstreamPushback } from '../status/retry-pushback.js';

const HEALTH_SERVICE = 'grpc.health.v1.Health';
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]', '']);
/** A shedding reason is logged at most this often (ms): an overload sheds thousands of calls. */
const SHED_LOG_INTERVAL_MS = 10_000;

/**
 * The app's gRPC server. It starts when the Nest app bootstraps: binds, reports SERVING,
 * then registers in discovery. It stops first when the app closes (onModuleDestroy), in this
 * order: health NOT_SERVING → deregister → wait `deregisterDelayMs` for clients to see it →
 * refuse new calls and let in-flight ones finish for up to `drainTimeoutMs` → cancel the rest.
 * Resources that handlers use should therefore close in `onApplicationShutdown`, after it.
 */
@Injectable()
export class MeshGrpcServer implements OnApplicationBootstrap, OnModuleDestroy {
  readonly health: HealthService;
  private readonly logger = new Logger('MeshGrpcServer');
  private server: Server | undefined;
  private boundPort: number | undefined;
  private self: ServiceInstance | undefined;
  private registered = false;
  private reflection: ServerReflection | undefined;
  private stopping: Promise<void> | undefined;
  private readonly shedLoggedAt = new Map<string, number>();
  /** Credentials from `tls`/`credentials` or GRPC_TLS_*, checked when the module is built. */
  private readonly transport: ServerTransport;

  constructor(
    @Inject(MESH_GRPC_OPTIONS) private readonly options: MeshGrpcModuleOptions,
    private readonly explorer: GrpcHandlerExplorer,
    @Optional() @Inject(Registrar) private readonly registrar?: Registrar,
  ) {
    validateServerOptions(options);
    this.transport = serverTransport(options);
    this.health = new HealthService(options.services.map(serviceNameOf));
  }

  /** The bound TCP port (after bootstrap). */
  get port(): number {
    if (this.boundPort === undefined) throw new Error('grpc: the server is not listening yet');
    return this.boundPort;
  }

  /** This instance as it is (or would be) registered in discovery; set once listening. */
  get instance(): ServiceInstance | undefined {
    return this.self;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.shutdown();
  }

  private async start(): Promise<void> {
    const { options } = this;
    const server = new Server(options.serverOptions);
    const endpoint: ServerEndpoint = {};
    const telemetry = new ServerTelemetry(endpoint);
    const shedding = resolveShedding(options.shedding);
    const shedder = shedding && new LoadShedder(shedding, this.logShed);
    const bound = bindServices(
      server,
      options.services,
      this.explorer.explore(),
      this.toStatus,
      telemetry,
      shedder,
    );
    for (const path of bound.unhandled) this.logger.warn(`${path} has no handler; it answers UNIMPLEMENTED`);
    server.addService(
      HealthServiceDefinition,
      options.traceHealthChecks
        ? tracedHealth(this.health.implementation, telemetry)
        : this.health.implementation,
    );
    if (options.descriptorSet) {
      const listed = [...bound.services, HEALTH_SERVICE, ...REFLECTION_SERVICES];
      this.reflection = new ServerReflection(options.descriptorSet, listed);
      this.reflection.addToServer(server);
    }

    const host = options.host ?? DEFAULT_HOST;
    const address = `${host.includes(':') ? `[${host}]` : host}:${options.port ?? DEFAULT_PORT}`;
    this.boundPort = await new Promise<number>((resolve, reject) =>
      server.bindAsync(address, this.transport.credentials, (error, port) =>
        error ? reject(new GrpcListenError(address, error)) : resolve(port),
      ),
    );
    this.server = server;
    this.health.setAll(ServingStatus.SERVING);

    const advertised = options.advertiseAddress ?? (WILDCARD_HOSTS.has(host) ? hostname() : host);
    const instance: ServiceInstance = {
      id: options.instanceId ?? `${options.name}-${hostname()}-${this.boundPort}-${randomUUID().slice(0, 8)}`,
      name: options.name,
      address: advertised,
      port: this.boundPort,
      tags: [...(options.tags ?? [])],
      metadata: {
        ...telemetryMetadata(),
        ...options.metadata,
        grpcServices: bound.services.join(','),
        ...transportMetadata(this.transport.mode),
      },
    };
    this.self = instance;
    endpoint.address = advertised;
    endpoint.port = this.boundPort;
    if (this.registrar) {
      try {
        await this.registrar.register(instance, {
          healthy: () => this.health.status('') === ServingStatus.SERVING,
        });
      } catch (error) {
        server.forceShutdown();
        throw error;
      }
      this.registered = true;
    }
    const security = this.transport.describe();
    // Named: one process may run several servers (the embedded demo runs three).
    this.logger[security.level](`${options.name}: ${security.message}`);
    this.logger.log(
      `${options.name} serving ${bound.services.join(', ')} on ${host}:${this.boundPort} as ${instance.id}`,
    );
  }

  /** The graceful shutdown described on the class; safe to call more than once. */
  shutdown(): Promise<void> {
    this.stopping ??= this.stop();
    return this.stopping;
  }

  private async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.health.setAll(ServingStatus.NOT_SERVING);
    if (this.registered && this.registrar && this.self) {
      try {
        await this.registrar.deregister(this.self);
      } catch (error) {
        this.logger.error(
          `deregistering ${this.self.id} failed; the registry's health check will remove it: ${String(error)}`,
        );
      }
      this.registered = false;
      await sleep(this.options.deregisterDelayMs ?? DEFAULT_DEREGISTER_DELAY_MS);
    }
    this.health.endWatches();
    this.reflection?.endStreams();
    const drainTimeoutMs = this.options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
    const drained = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), drainTimeoutMs);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    if (!drained) {
      this.logger.warn(`calls still running after ${drainTimeoutMs} ms of draining were cancelled`);
      server.forceShutdown();
    }
  }

  /** Warns of shedding, once per reason every SHED_LOG_INTERVAL_MS (the counter has them all). */
  private readonly logShed = (method: string, refusal: Refusal): void => {
    const nowMs = performance.now();
    if (nowMs - (this.shedLoggedAt.get(refusal.reason) ?? -Infinity) < SHED_LOG_INTERVAL_MS) return;
    this.shedLoggedAt.set(refusal.reason, nowMs);
    this.logger.warn(
      `${method} ${refusal.status.details} (logged once per ${SHED_LOG_INTERVAL_MS / 1000} s)`,
    );
  };

  private readonly toStatus: ErrorToStatus = (error, method) => {
    const outcome = statusOf(error, this.options.errorCodes);
    if (!outcome.known) {
      this.logger.error(`${method} failed: ${error instanceof Error ? error.stack : String(error)}`);
    }
    // A failure of this handler's own mesh call: its client retried it already, so tell ours not to.
    const metadata = withDownstreamPushback(error, outcome.metadata);
    return { code: outcome.code, details: outcome.details, metadata };
  };
}

/** The health service with its two methods traced (MeshGrpcModule `traceHealthChecks`). */
function tracedHealth(implementation: HealthServer, telemetry: ServerTelemetry): HealthServer {
  // The wrappers pass request and response through untouched; only their types are erased.
  return {
    check: tracedUnary(
      implementation.check as Parameters<typeof tracedUnary>[0],
      telemetry.method(HealthServiceDefinition.check.path),
    ) as HealthServer['check'],
    watch: tracedServerStreaming(
      implementation.watch as Parameters<typeof tracedServerStreaming>[0],
      telemetry.method(HealthServiceDefinition.watch.path),
    ),
  };
}

/** Where operator tools read this process's telemetry: its METRICS_PORT server, if started. */
function telemetryMetadata(): Record<string, string> {
  const port = metricsServerPort(currentTelemetry());
  return port ? { [TELEMETRY_PORT_METADATA]: String(port) } : {};
}
