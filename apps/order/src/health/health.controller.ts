import { Controller, Get, Optional, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheck, HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { LeaderElectionHealthIndicator } from '@nestmesh/coordination';

import { GrpcServingIndicator, RegistrationIndicator } from '@nestmesh/grpc/terminus';

/**
 * Liveness and readiness for orchestrators and load balancers, with @nestjs/terminus.
 * `/healthz`: the process answers (200 while it runs, also while draining: restarting a
 * draining process would cut its in-flight calls). `/readyz`: it should get traffic — its
 * gRPC server is SERVING, the registry lists it, and (when the app runs a leader election)
 * the election backend answers. Not ready is 503 as an RFC 9457 problem (code NOT_READY) whose
 * `checks` carry terminus' per-indicator details.
 */
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly grpc: GrpcServingIndicator,
    private readonly registration: RegistrationIndicator,
    @Optional() private readonly election?: LeaderElectionHealthIndicator,
  ) {}

  @Get('healthz')
  @HealthCheck()
  liveness(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  @Get('readyz')
  @HealthCheck()
  async readiness(): Promise<HealthCheckResult> {
    const election = this.election;
    try {
      return await this.health.check([
        () => this.grpc.check(),
        () => this.registration.check(),
        ...(election ? [() => election.check('election')] : []),
      ]);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      const result = error.getResponse() as HealthCheckResult;
      const failing = Object.keys(result.error ?? {});
      throw new ServiceUnavailableException({
        code: 'NOT_READY',
        message: failing.length
          ? `not ready: ${failing.join(', ')} down`
          : `not ready: the app is ${result.status === 'shutting_down' ? 'shutting down' : result.status}`,
        extensions: { checks: result.details },
      });
    }
  }
}
