import type { ServiceInstance } from '../../service-instance.js';

/** One entry of `/v1/health/service/<name>`, the fields we read. */
export interface HealthEntry {
  Service: {
    ID: string;
    Service: string;
    Address: string;
    Port: number;
    Tags: string[] | null;
    Meta: Record<string, string> | null;
  };
  Node?: { Address?: string };
}

/** Consul durations: whole seconds as `10s`, anything else in ms. */
export function duration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${Math.round(ms)}ms`;
}

/** A health entry as an instance; Consul leaves Address empty when the service uses its node's. */
export function toInstance({ Service, Node }: HealthEntry): ServiceInstance {
  return {
    id: Service.ID,
    name: Service.Service,
    address: Service.Address || Node?.Address || '',
    port: Service.Port,
    tags: Service.Tags ?? [],
    metadata: Service.Meta ?? {},
  };
}
