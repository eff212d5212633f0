import { isIPv6 } from 'node:net';
import {
  SpanKind,
  type Meter,
  type ObservableGauge,
  type ObservableResult,
  type Span,
} from '@opentelemetry/api';
import type { ServiceInstance } from '@nestmesh/discovery';
import {
  ATTR_NESTMESH_DISCOVERY_ADDED,
  ATTR_NESTMESH_DISCOVERY_INSTANCES,
  ATTR_NESTMESH_DISCOVERY_REMOVED,
  ATTR_NESTMESH_INSTANCE_ID,
  ATTR_NESTMESH_SERVICE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  EVENT_NESTMESH_INSTANCE_ADDED,
  EVENT_NESTMESH_INSTANCE_REMOVED,
  meshMeter,
  meshTracer,
  METRIC_NESTMESH_DISCOVERY_INSTANCES,
  SPAN_NESTMESH_DISCOVERY_UPDATE,
} from '@nestmesh/telemetry';

import { GRPC_TELEMETRY_SCOPE } from '../telemetry/rpc-telemetry.js';

/** `host:port` as grpc-js names a call's peer (IPv6 hosts in brackets). */
export function peerKey(host: string, port: number): string {
  return isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

/** One gauge per meter; each live resolver adds its callback and removes it when destroyed. */
const gauges = new WeakMap<Meter, ObservableGauge>();

function instancesGauge(meter: Meter): ObservableGauge {
  let gauge = gauges.get(meter);
  if (!gauge) {
    gauge = meter.createObservableGauge(METRIC_NESTMESH_DISCOVERY_INSTANCES, {
      unit: '{instance}',
      description: 'Live instances of a service, as the clients resolver last heard from the registry.',
    });
    gauges.set(meter, gauge);
  }
  return gauge;
}

function identity(instance: ServiceInstance): string {
  return `${instance.id}@${peerKey(instance.address, instance.port)}`;
}

/**
 * What a client's resolver reports about one service: a `nestmesh.discovery.update` span (a
 * root of its own, INTERNAL, a few µs long) per change of the instance list, with an event per
 * instance added or removed, and the `nestmesh.discovery.instances` gauge.
 */
export class DiscoveryTelemetry {
  private readonly tracer = meshTracer(GRPC_TELEMETRY_SCOPE);
  private readonly gauge = instancesGauge(meshMeter(GRPC_TELEMETRY_SCOPE));
  private readonly attributes: { [ATTR_NESTMESH_SERVICE]: string };
  private known = new Map<string, ServiceInstance>();
  private live: number | undefined;
  private readonly observe = (result: ObservableResult) => {
    if (this.live !== undefined) result.observe(this.live, this.attributes);
  };

  constructor(readonly service: string) {
    this.attributes = { [ATTR_NESTMESH_SERVICE]: service };
    this.gauge.addCallback(this.observe);
  }

  /** Each list the registry reports (an empty one included: the gauge says 0). */
  update(instances: readonly ServiceInstance[]): void {
    this.live = instances.length;
    const next = new Map(instances.map((instance) => [identity(instance), instance]));
    const added = [...next].filter(([key]) => !this.known.has(key)).map(([, instance]) => instance);
    const removed = [...this.known].filter(([key]) => !next.has(key)).map(([, instance]) => instance);
    this.known = next;
    if (added.length === 0 && removed.length === 0) return;
    const span = this.tracer.startSpan(SPAN_NESTMESH_DISCOVERY_UPDATE, {
      kind: SpanKind.INTERNAL,
      root: true,
      attributes: {
        ...this.attributes,
        [ATTR_NESTMESH_DISCOVERY_INSTANCES]: instances.length,
        [ATTR_NESTMESH_DISCOVERY_ADDED]: added.map((instance) => instance.id),
        [ATTR_NESTMESH_DISCOVERY_REMOVED]: removed.map((instance) => instance.id),
      },
    });
    if (span.isRecording()) {
      for (const instance of added) addEvent(span, EVENT_NESTMESH_INSTANCE_ADDED, instance);
      for (const instance of removed) addEvent(span, EVENT_NESTMESH_INSTANCE_REMOVED, instance);
    }
    span.end();
  }

  close(): void {
    this.gauge.removeCallback(this.observe);
  }
}

function addEvent(span: Span, name: string, instance: ServiceInstance): void {
  span.addEvent(name, {
    [ATTR_NESTMESH_INSTANCE_ID]: instance.id,
    [ATTR_SERVER_ADDRESS]: instance.address,
    [ATTR_SERVER_PORT]: instance.port,
  });
}
