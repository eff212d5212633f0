import { Client, credentials, status as Status, type Interceptor } from '@grpc/grpc-js';
import { InventoryServiceService } from '@nestmesh/contracts/inventory/v1';
import {
  channelCredentialsFor,
  ClientTracing,
  createMeshClient,
  RpcError,
  type MeshClient,
  type MeshTlsOptions,
} from '@nestmesh/grpc';

import type { Call } from '../request-runner.js';

/** The service whose certificate a TLS edge presents when GRPC_TLS_SERVER_NAME does not say. */
const SERVICE_NAME = 'inventory';

/**
 * inventory.v1.InventoryService/GetStock over plain grpc-js to one address — a load balancer's
 * gRPC edge, not mesh discovery: what a client outside the mesh sees. Over TLS when `tls` is
 * given (GRPC_TLS_*, read by tlsFromEnv), checking the name `inventory` unless it sets another,
 * as the mesh client does for `mesh:///inventory`.
 */
export class GrpcStockClient {
  private readonly client: Client;
  private readonly inventory: MeshClient<typeof InventoryServiceService>;

  /**
   * `traced`: add NestMesh's client tracing interceptor (a CLIENT span per call and the
   * rpc.client.call.duration metric). A raw Client gets no interceptor by itself: only
   * MeshClientModule adds it, so it is added here when telemetry is on.
   */
  constructor(target: string, timeoutMs: number, traced: boolean, tls?: MeshTlsOptions) {
    const interceptors: Interceptor[] = traced
      ? [new ClientTracing({ service: SERVICE_NAME }).interceptor]
      : [];
    const channel = tls
      ? channelCredentialsFor({ ...tls, serverName: tls.serverName ?? SERVICE_NAME })
      : { credentials: credentials.createInsecure(), channelOptions: {} };
    this.client = new Client(target, channel.credentials, { ...channel.channelOptions, interceptors });
    this.inventory = createMeshClient(InventoryServiceService, this.client, {
      timeoutMs,
      streamTimeoutMs: timeoutMs,
    });
  }

  /** GetStock with the runner's signal; a status other than OK fails with its name. */
  readonly readStock: Call = async (sku, signal) => {
    try {
      await this.inventory.getStock({ sku }, { signal });
      return { result: 'ok' };
    } catch (error) {
      if (!(error instanceof RpcError)) throw error;
      // The deadline (the same LOADGEN_TIMEOUT_MS) is a timeout, not a failure of the server.
      if (error.status === Status.DEADLINE_EXCEEDED) return { result: 'timeout' };
      return { result: 'failed', reason: error.code };
    }
  };

  close(): void {
    this.client.close();
  }
}
