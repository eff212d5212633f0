import { metrics, trace, type Attributes, type Meter, type MeterProvider } from '@opentelemetry/api';
import {
  ATTR_NESTMESH_FENCING_KEY,
  ATTR_NESTMESH_FENCING_KIND,
  ATTR_NESTMESH_FENCING_OPERATION,
  ATTR_NESTMESH_FENCING_STORE,
  ATTR_NESTMESH_FENCING_VALUE,
  EVENT_NESTMESH_FENCING_REJECTED,
  meshTracer,
  METRIC_NESTMESH_FENCING_REJECTED,
} from '@nestmesh/telemetry';

/** The instrumentation scope of every span and metric of @nestmesh/coordination. */
export const COORDINATION_SCOPE = '@nestmesh/coordination';

/** A proxy until an SDK is registered, then the SDK's: safe to take at import. */
export const coordinationTracer = meshTracer(COORDINATION_SCOPE);

/**
 * Instruments made on the meter provider registered when they are first needed, and made again
 * when another is registered. The API has no proxy meter (unlike its tracer): an instrument
 * taken at import, before `startTelemetry` or `captureTelemetry`, would stay a no-op forever.
 * Each call costs a lookup of the global provider, no allocation.
 */
export function lazyInstruments<T>(make: (meter: Meter) => T): () => T {
  let provider: MeterProvider | undefined;
  let made: T | undefined;
  return () => {
    const current = metrics.getMeterProvider();
    if (current !== provider || made === undefined) {
      provider = current;
      made = make(current.getMeter(COORDINATION_SCOPE));
    }
    return made;
  };
}

/** A fencing value as a span attribute: tokens and epochs stay far below 2^53. */
export function fencingNumber(value: bigint): number {
  return Number(value);
}

const fencingInstruments = lazyInstruments((meter) => ({
  rejected: meter.createCounter(METRIC_NESTMESH_FENCING_REJECTED, {
    unit: '{rejection}',
    description: 'Reads and writes a store refused because their fencing token or epoch was stale',
  }),
}));

/** What a store refused, for {@link recordFencingRejection}. */
export interface FencingRejection {
  /** The store, low-cardinality (`inventory.stock`): a metric attribute. */
  store: string;
  /** A lock's fencing `token`, or a leadership `epoch`. */
  kind: 'token' | 'epoch';
  operation: 'read' | 'write';
  /** The resource refused (`sku:A-1`); on the span event only. */
  key: string;
  /** The stale value; on the span event only. */
  value: bigint;
}

const rejectionAttributes = new Map<string, Attributes>();

function rejectionAttributesOf({
  store,
  kind,
  operation,
}: Omit<FencingRejection, 'key' | 'value'>): Attributes {
  const id = `${store}\n${kind}\n${operation}`;
  let attributes = rejectionAttributes.get(id);
  if (!attributes) {
    attributes = {
      [ATTR_NESTMESH_FENCING_STORE]: store,
      [ATTR_NESTMESH_FENCING_KIND]: kind,
      [ATTR_NESTMESH_FENCING_OPERATION]: operation,
    };
    rejectionAttributes.set(id, attributes);
  }
  return attributes;
}

/**
 * Makes a store's `nestmesh.fencing.rejected` series exist, at 0, from the store's start: one
 * per fencing kind it uses and operation. A dashboard's `rate()` then reads 0 until the first
 * rejection, instead of "no data" (which looks like a broken panel).
 */
export function declareFencedStore(store: string, kinds: readonly FencingRejection['kind'][]): void {
  for (const kind of kinds) {
    for (const operation of ['read', 'write'] as const) {
      fencingInstruments().rejected.add(0, rejectionAttributesOf({ store, kind, operation }));
    }
  }
}

/**
 * Called by a store that refused a stale fencing token or epoch: counts it in
 * `nestmesh.fencing.rejected` (by store, kind and operation) and adds a `fencing.rejected`
 * event to the active span — the store's client span when it made one.
 */
export function recordFencingRejection(rejection: FencingRejection): void {
  const attributes = rejectionAttributesOf(rejection);
  fencingInstruments().rejected.add(1, attributes);
  const span = trace.getActiveSpan();
  if (span?.isRecording())
    span.addEvent(EVENT_NESTMESH_FENCING_REJECTED, {
      ...attributes,
      [ATTR_NESTMESH_FENCING_KEY]: rejection.key,
      [ATTR_NESTMESH_FENCING_VALUE]: fencingNumber(rejection.value),
    });
}
