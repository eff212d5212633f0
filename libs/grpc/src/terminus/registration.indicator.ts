import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { Discovery } from '@nestmesh/discovery';
import { MeshGrpcServer } from '../server/mesh-grpc.server.js';

/** How long a readiness probe waits for the registry before calling it down, in ms. */
export const REGISTRATION_CHECK_TIMEOUT_MS = 1000;

/**
 * Terminus indicator: 'up' when the registry lists this instance among the healthy instances
 * of its service — asked of the registry itself, not of the server's own memory, so an
 * instance whose lease expired (a registry outage, a stalled process) is not ready even if it
 * believes it registered. 'down' while unlisted, and when the registry does not answer in time.
 */
@Injectable()
export class RegistrationIndicator {
  constructor(
    private readonly server: MeshGrpcServer,
    @Inject(Discovery) private readonly discovery: Discovery,
    private readonly indicators: HealthIndicatorService,
  ) {}

  async check<const Key extends string = 'registration'>(key: Key = 'registration' as Key) {
    const indicator = this.indicators.check(key);
    const self = this.server.instance;
    if (!self) return indicator.down({ message: 'not listening yet' });
    const signal = AbortSignal.timeout(REGISTRATION_CHECK_TIMEOUT_MS);
    try {
      const instances = await this.discovery.instances(self.name, { signal });
      const data = { service: self.name, instanceId: self.id };
      return instances.some((instance) => instance.id === self.id)
        ? indicator.up(data)
        : indicator.down({ ...data, message: 'not listed in the registry' });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return indicator.down({ service: self.name, instanceId: self.id, message });
    }
  }
}
