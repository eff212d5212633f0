import { InterceptingCall } from '@grpc/grpc-js';
import type { Interceptor, InterceptorOptions, Metadata, NextCall, StatusObject } from '@grpc/grpc-js';
import {
  context,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Histogram,
  type Span,
  type SpanOptions,
  type Tracer,
} from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_NESTMESH_INSTANCE_ID,
  ATTR_RPC_METHOD,
  ATTR_RPC_STATUS_CODE,
  ATTR_RPC_SYSTEM_NAME,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  meshMeter,
  meshTracer,
  METRIC_RPC_CLIENT_CALL_DURATION,
  RPC_SYSTEM_NAME_VALUE_GRPC,
  secondsSince,
} from '@nestmesh/telemetry';

import {
  callDurationHistogram,
  GRPC_TELEMETRY_SCOPE,
  metadataSetter,
  MethodMetricAttributes,
  rpcMethodOf,
  statusName,
} from '../../telemetry/rpc-telemetry.js';

export interface ClientTracingOptions {
  /** The service dialled (`mesh:///<service>`): `server.address` when no instance was reached. */
  service: string;
  /** The discovery id of the instance at a peer (`host:port`), for `nestmesh.instance.id`. */
  instanceAt?: (peer: string) => string | undefined;
}

interface ClientMethod {
  name: string;
  attributes: Attributes;
  /** Metric attributes by peer (`host:port`): latency per upstream instance, allocation-free once seen. */
  byPeer: Map<string, MethodMetricAttributes>;
}

/** Peers remembered per method; past it the map starts over (instances come and go for months). */
const MAX_PEERS_PER_METHOD = 256;

/** The key under which ClientTracing leaves a call's CLIENT span on its InterceptorOptions. */
export const CLIENT_SPAN_KEY = Symbol('nestmesh.client-span');
/** InterceptorOptions as the interceptors after ClientTracing receive them. */
export type TracedCallOptions = InterceptorOptions & { [CLIENT_SPAN_KEY]?: Span };

const isClientError = (code: number) => code !== 0;
const CLIENT_SPAN: SpanOptions = Object.freeze({ kind: SpanKind.CLIENT });

/** `host`/`port` of a peer such as `10.0.0.7:50051` or `[::1]:50051`; undefined for anything else. */
function splitPeer(peer: string): { host: string; port: number } | undefined {
  const colon = peer.lastIndexOf(':');
  if (colon <= 0 || peer.includes('/')) return undefined;
  const port = Number(peer.slice(colon + 1));
  if (!Number.isInteger(port)) return undefined;
  const host = peer.slice(0, colon);
  return { host: host.startsWith('[') ? host.slice(1, -1) : host, port };
}

/**
 * The client side of NestMesh's gRPC tracing, as a grpc-js interceptor: a CLIENT span
 * `pkg.Service/Method` started in the caller's active context, W3C `traceparent`/`tracestate`
 * injected into the call's metadata, and at the status: `rpc.status_code` (the name),
 * `server.address`/`server.port` of the instance the call went to (its peer) and its
 * `nestmesh.instance.id`, ERROR status and `error.type` for every code but OK; plus the
 * `rpc.client.call.duration` histogram, with `server.address`/`server.port` of the instance
 * (the service name when none was reached), so latency shows per upstream instance.
 * Unary and streaming calls alike.
 */
export class ClientTracing {
  private readonly tracer: Tracer = meshTracer(GRPC_TELEMETRY_SCOPE);
  private readonly duration: Histogram = callDurationHistogram(
    meshMeter(GRPC_TELEMETRY_SCOPE),
    METRIC_RPC_CLIENT_CALL_DURATION,
    'Duration of outgoing gRPC calls, from the call starting to its status arriving.',
  );
  private readonly methods = new Map<string, ClientMethod>();

  constructor(private readonly options: ClientTracingOptions) {}

  readonly interceptor: Interceptor = (callOptions: InterceptorOptions, nextCall: NextCall) => {
    const method = this.method(callOptions.method_definition.path);
    const startMs = performance.now();
    const parent = context.active();
    const span = this.tracer.startSpan(method.name, CLIENT_SPAN, parent);
    // Set once sampled: the SDK copies start attributes before sampling, for every call.
    if (span.isRecording()) span.setAttributes(method.attributes);
    // Left on the call's options for the interceptors below (the circuit breaker notes a
    // rejection on it): cheaper than running them in the span's context, on every call.
    (callOptions as TracedCallOptions)[CLIENT_SPAN_KEY] = span;
    const call = nextCall(callOptions);
    return new InterceptingCall(call, {
      start: (metadata: Metadata, listener, next) => {
        propagation.inject(trace.setSpan(parent, span), metadata, metadataSetter);
        next(metadata, {
          onReceiveStatus: (status: StatusObject, nextStatus: (status: StatusObject) => void) => {
            this.end(span, method, status.code, call.getPeer(), startMs);
            nextStatus(status);
          },
        });
      },
    });
  };

  private end(span: Span, method: ClientMethod, code: number, peer: string, startMs: number): void {
    if (span.isRecording()) {
      const name = statusName(code);
      const reached = splitPeer(peer);
      span.setAttribute(ATTR_RPC_STATUS_CODE, name);
      span.setAttribute(ATTR_SERVER_ADDRESS, reached?.host ?? this.options.service);
      if (reached) {
        span.setAttribute(ATTR_SERVER_PORT, reached.port);
        const instance = this.options.instanceAt?.(peer);
        if (instance !== undefined) span.setAttribute(ATTR_NESTMESH_INSTANCE_ID, instance);
      }
      if (code !== 0) {
        span.setAttribute(ATTR_ERROR_TYPE, name);
        span.setStatus({ code: SpanStatusCode.ERROR, message: name });
      }
    }
    span.end();
    this.duration.record(secondsSince(startMs), this.metricAttributes(method, peer).of(code));
  }

  private metricAttributes(method: ClientMethod, peer: string): MethodMetricAttributes {
    let attributes = method.byPeer.get(peer);
    if (!attributes) {
      const reached = splitPeer(peer);
      if (method.byPeer.size >= MAX_PEERS_PER_METHOD) method.byPeer.clear();
      attributes = new MethodMetricAttributes(
        method.name,
        isClientError,
        reached
          ? { [ATTR_SERVER_ADDRESS]: reached.host, [ATTR_SERVER_PORT]: reached.port }
          : { [ATTR_SERVER_ADDRESS]: this.options.service },
      );
      method.byPeer.set(peer, attributes);
    }
    return attributes;
  }

  private method(path: string): ClientMethod {
    let method = this.methods.get(path);
    if (!method) {
      const name = rpcMethodOf(path);
      method = {
        name,
        attributes: { [ATTR_RPC_SYSTEM_NAME]: RPC_SYSTEM_NAME_VALUE_GRPC, [ATTR_RPC_METHOD]: name },
        byPeer: new Map(),
      };
      this.methods.set(path, method);
    }
    return method;
  }
}
