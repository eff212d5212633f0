import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { ServerCredentials, ServerOptions } from '@grpc/grpc-js';

import type { ErrorCodeMap } from '../status/status-mapping.js';
import type { MeshTlsOptions } from '../tls/tls.options.js';
import type { AnyServiceDefinition } from './service-definition.js';
import type { SheddingOptions } from './shedding/shedding.options.js';

export interface MeshGrpcModuleOptions {
  /** Service name registered in discovery; clients dial `mesh:///<name>`. */
  name: string;
  /** grpc-js service definitions to serve (ts-proto `outputServices=grpc-js`: `InventoryServiceService`). */
  services: readonly AnyServiceDefinition[];
  /** Interface to bind. Default `127.0.0.1`; use `0.0.0.0` in containers. */
  host?: string;
  /** TCP port; 0 (default) lets the kernel pick one. */
  port?: number;
  /** Address others reach this instance on. Default: `host`, or the machine's hostname when `host` is a wildcard. */
  advertiseAddress?: string;
  /** Registry id of this instance. Default `<name>-<hostname>-<port>-<random>`. */
  instanceId?: string;
  tags?: readonly string[];
  metadata?: Readonly<Record<string, string>>;
  /** FileDescriptorSet for gRPC reflection (`descriptorSet` from `@nestmesh/contracts`); no reflection without it. */
  descriptorSet?: Uint8Array;
  /** Shutdown: how long in-flight calls may run before being cancelled, in ms. Default 10 000. */
  drainTimeoutMs?: number;
  /** Shutdown: pause between deregistering and refusing new calls, in ms. Default 100. */
  deregisterDelayMs?: number;
  /** Error `code` strings to gRPC statuses, beyond the status names themselves. */
  errorCodes?: ErrorCodeMap;
  /**
   * TLS or mutual TLS (docs/grpc.md "TLS and mutual TLS"). Default: from GRPC_TLS_* (tlsFromEnv),
   * plaintext when none is set; `false` = plaintext even when they are. Certificate files are
   * re-read every `refreshIntervalMs`. Health and reflection are served over it too.
   */
  tls?: MeshTlsOptions | false;
  /** Your own grpc-js credentials instead of `tls` (both set is refused). Default insecure. */
  credentials?: ServerCredentials;
  /**
   * Trace grpc.health.v1.Health calls too (a SERVER span and `rpc.server.call.duration` per
   * Check/Watch). Default false: load balancers and registries probe every few seconds and
   * would bury the app's own traces and skew its RED metrics.
   */
  traceHealthChecks?: boolean;
  /**
   * Load shedding before the handler runs (docs/grpc.md "Load shedding"): an optional
   * concurrency limit, opt-in adaptive shedding, and the deadline check (on by default).
   * `false` turns it all off. `@NoShedding()` exempts a handler; health and reflection are never shed.
   */
  shedding?: false | SheddingOptions;
  /** Passed to grpc-js' Server (keepalive, message sizes, …). */
  serverOptions?: ServerOptions;
}

export const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN: MESH_GRPC_OPTIONS } =
  new ConfigurableModuleBuilder<MeshGrpcModuleOptions>({ moduleName: 'MeshGrpc' })
    .setClassMethodName('forRoot')
    .build();
