import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { ServingStatus } from '../server/health.service.js';
import { MeshGrpcServer } from '../server/mesh-grpc.server.js';

/**
 * Terminus indicator: 'up' while this app's gRPC server reports SERVING on grpc.health.v1 —
 * from the moment it listens until the first moment of shutdown, when it turns NOT_SERVING
 * and starts to deregister and drain.
 */
@Injectable()
export class GrpcServingIndicator {
  constructor(
    private readonly server: MeshGrpcServer,
    private readonly indicators: HealthIndicatorService,
  ) {}

  check<const Key extends string = 'grpc'>(key: Key = 'grpc' as Key) {
    const indicator = this.indicators.check(key);
    const status = this.server.health.status('') ?? ServingStatus.SERVICE_UNKNOWN;
    const serving = status === ServingStatus.SERVING;
    const data = {
      servingStatus: ServingStatus[status] ?? String(status),
      port: serving ? this.server.port : null,
    };
    return serving ? indicator.up(data) : indicator.down(data);
  }
}
