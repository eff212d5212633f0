import { status as Status } from '@grpc/grpc-js';
import type { sendUnaryData, ServerUnaryCall, ServerWritableStream } from '@grpc/grpc-js';
import {
  HealthCheckResponse_ServingStatus as ServingStatus,
  type HealthCheckRequest,
  type HealthCheckResponse,
  type HealthServer,
} from '@nestmesh/contracts/grpc/health/v1';

export { ServingStatus };

type WatchCall = ServerWritableStream<HealthCheckRequest, HealthCheckResponse>;

/**
 * The standard grpc.health.v1.Health service. The empty service name is the server as a
 * whole; every served service has its own status. The server drives the statuses from the
 * app's lifecycle (NOT_SERVING until listening, SERVING while up, NOT_SERVING from the first
 * moment of shutdown); apps may set a service's status themselves (a lost dependency).
 */
export class HealthService {
  private readonly statuses = new Map<string, ServingStatus>();
  private readonly watches = new Set<WatchCall>();

  constructor(services: readonly string[]) {
    for (const service of ['', ...services]) this.statuses.set(service, ServingStatus.NOT_SERVING);
  }

  status(service = ''): ServingStatus | undefined {
    return this.statuses.get(service);
  }

  /** Sets one service's status (`''`: the whole server) and tells its watchers if it changed. */
  setStatus(service: string, status: ServingStatus): void {
    if (this.statuses.get(service) === status) return;
    this.statuses.set(service, status);
    for (const call of this.watches) {
      if (call.request.service === service) call.write({ status });
    }
  }

  /** Sets every known service, and the server as a whole, to `status`. */
  setAll(status: ServingStatus): void {
    for (const service of this.statuses.keys()) this.setStatus(service, status);
  }

  /** Ends every Watch stream with OK, so that they do not hold a draining server open. */
  endWatches(): void {
    for (const call of this.watches) call.end();
    this.watches.clear();
  }

  readonly implementation: HealthServer = {
    check: (
      call: ServerUnaryCall<HealthCheckRequest, HealthCheckResponse>,
      callback: sendUnaryData<HealthCheckResponse>,
    ) => {
      const status = this.statuses.get(call.request.service);
      if (status === undefined) {
        callback({ code: Status.NOT_FOUND, details: `unknown service "${call.request.service}"` });
      } else {
        callback(null, { status });
      }
    },
    watch: (call: WatchCall) => {
      this.watches.add(call);
      const forget = () => this.watches.delete(call);
      call.on('cancelled', forget);
      call.on('finish', forget);
      call.write({ status: this.statuses.get(call.request.service) ?? ServingStatus.SERVICE_UNKNOWN });
    },
  };
}
