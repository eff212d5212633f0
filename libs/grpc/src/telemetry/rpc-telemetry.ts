import { status as Status } from '@grpc/grpc-js';
import type { Metadata } from '@grpc/grpc-js';
import { ProxyTracerProvider, trace } from '@opentelemetry/api';
import type { Attributes, Histogram, Meter, TextMapGetter, TextMapSetter } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_RPC_METHOD,
  ATTR_RPC_STATUS_CODE,
  ATTR_RPC_SYSTEM_NAME,
  DURATION_BUCKETS_SECONDS,
  RPC_SYSTEM_NAME_VALUE_GRPC,
} from '@nestmesh/telemetry';

/** The instrumentation scope of every span and metric this library records. */
export const GRPC_TELEMETRY_SCOPE = '@nestmesh/grpc';

/** `OK`, `CANCELLED`, … `UNAUTHENTICATED`, by code: `rpc.status_code` is the name, not the number. */
const STATUS_NAMES: readonly string[] = Array.from({ length: 17 }, (_, code) => Status[code]);

/**
 * Whether an SDK's tracer provider is registered (startTelemetry, or a test's
 * captureTelemetry) — asked when a client channel is created, so that a channel made with
 * telemetry off carries no interceptor at all (grpc-js allocates per call for one).
 */
export function tracingRegistered(): boolean {
  const provider = trace.getTracerProvider();
  return (
    !(provider instanceof ProxyTracerProvider) ||
    provider.getDelegateTracer(GRPC_TELEMETRY_SCOPE) !== undefined
  );
}

/** The name of a gRPC status code; codes outside 0..16 are `_OTHER`. */
export function statusName(code: number): string {
  return STATUS_NAMES[code] ?? '_OTHER';
}

/**
 * The codes that make a SERVER span an error, as the gRPC semantic conventions list them: the
 * server's own faults. NOT_FOUND, INVALID_ARGUMENT, … are the caller's and leave it UNSET.
 * On a CLIENT span every code but OK is an error.
 */
const SERVER_FAULTS = new Set<number>([
  Status.UNKNOWN,
  Status.DEADLINE_EXCEEDED,
  Status.UNIMPLEMENTED,
  Status.INTERNAL,
  Status.UNAVAILABLE,
  Status.DATA_LOSS,
]);

export function isServerFault(code: number): boolean {
  return SERVER_FAULTS.has(code);
}

/** The status code a grpc-js handler answered with (`callback(error)`, `emit('error', …)`). */
export function codeOfError(error: unknown): number {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : Status.UNKNOWN;
}

/** Reads W3C trace context from incoming gRPC metadata (text values only). */
export const metadataGetter: TextMapGetter<Metadata> = {
  keys: (carrier) => Object.keys(carrier.getMap()),
  get(carrier, key) {
    const values = carrier.get(key);
    const first = values[0];
    return typeof first === 'string' ? first : undefined;
  },
};

/** Writes W3C trace context into outgoing gRPC metadata. */
export const metadataSetter: TextMapSetter<Metadata> = {
  set: (carrier, key, value) => carrier.set(key, value),
};

/** `rpc.*.call.duration`: a histogram in seconds with the conventions' bucket boundaries. */
export function callDurationHistogram(meter: Meter, name: string, description: string): Histogram {
  return meter.createHistogram(name, {
    unit: 's',
    description,
    advice: { explicitBucketBoundaries: DURATION_BUCKETS_SECONDS },
  });
}

/**
 * The metric attributes of one method, one frozen object per status code, made on first use:
 * recording a duration allocates nothing.
 */
export class MethodMetricAttributes {
  private readonly byCode: (Attributes | undefined)[] = [];

  constructor(
    private readonly method: string,
    private readonly isError: (code: number) => boolean,
    /** Added to every code's attributes (the client's `server.address`/`server.port`). */
    private readonly common: Attributes = {},
  ) {}

  of(code: number): Attributes {
    let attributes = this.byCode[code];
    if (!attributes) {
      const name = statusName(code);
      attributes = Object.freeze({
        [ATTR_RPC_SYSTEM_NAME]: RPC_SYSTEM_NAME_VALUE_GRPC,
        [ATTR_RPC_METHOD]: this.method,
        [ATTR_RPC_STATUS_CODE]: name,
        ...(this.isError(code) ? { [ATTR_ERROR_TYPE]: name } : {}),
        ...this.common,
      });
      this.byCode[code] = attributes;
    }
    return attributes;
  }
}

/** `pkg.Service/Method` from a grpc-js path (`/pkg.Service/Method`): span name and `rpc.method`. */
export function rpcMethodOf(path: string): string {
  return path.startsWith('/') ? path.slice(1) : path;
}
