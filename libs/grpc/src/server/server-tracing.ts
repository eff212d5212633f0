import { status as Status } from '@grpc/grpc-js';
import type {
  handleBidiStreamingCall,
  handleClientStreamingCall,
  handleServerStreamingCall,
  handleUnaryCall,
  Metadata,
  sendUnaryData,
  ServerDuplexStream,
  ServerReadableStream,
  ServerUnaryCall,
  ServerWritableStream,
} from '@grpc/grpc-js';
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Histogram,
  type Span,
  type SpanOptions,
  type Tracer,
} from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_RPC_METHOD,
  ATTR_RPC_STATUS_CODE,
  ATTR_RPC_SYSTEM_NAME,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  meshMeter,
  meshTracer,
  METRIC_RPC_SERVER_CALL_DURATION,
  RPC_SYSTEM_NAME_VALUE_GRPC,
  secondsSince,
} from '@nestmesh/telemetry';

import {
  callDurationHistogram,
  codeOfError,
  GRPC_TELEMETRY_SCOPE,
  isServerFault,
  metadataGetter,
  MethodMetricAttributes,
  rpcMethodOf,
  statusName,
} from '../telemetry/rpc-telemetry.js';
import { abandonedCode } from './call-signal.js';

const TRACEPARENT = 'traceparent';
const SERVER_SPAN: SpanOptions = Object.freeze({ kind: SpanKind.SERVER });

/** Where this server is reached, for `server.address`/`server.port`; known once it listens. */
export interface ServerEndpoint {
  address?: string;
  port?: number;
}

/**
 * The server's tracer and duration histogram, taken when the server starts (after the app's
 * startTelemetry), and one {@link ServerMethodTelemetry} per served method.
 */
export class ServerTelemetry {
  readonly tracer: Tracer = meshTracer(GRPC_TELEMETRY_SCOPE);
  readonly duration: Histogram = callDurationHistogram(
    meshMeter(GRPC_TELEMETRY_SCOPE),
    METRIC_RPC_SERVER_CALL_DURATION,
    'Duration of incoming gRPC calls, from the handler being invoked to the status being sent.',
  );

  constructor(readonly endpoint: ServerEndpoint) {}

  method(path: string): ServerMethodTelemetry {
    return new ServerMethodTelemetry(this, rpcMethodOf(path));
  }
}

/** The cached names and attributes of one method: a call allocates only its span and context. */
export class ServerMethodTelemetry {
  private attributes: Attributes | undefined;
  private readonly metricAttributes: MethodMetricAttributes;

  constructor(
    private readonly telemetry: ServerTelemetry,
    readonly name: string,
  ) {
    this.metricAttributes = new MethodMetricAttributes(name, isServerFault);
  }

  /** Starts the SERVER span, child of the caller's span when the metadata carries one. */
  start(metadata: Metadata): { span: Span; context: Context } {
    // No traceparent, no propagator work: the span is a root (not a child of whatever context
    // the connection happened to be accepted in).
    const parent =
      metadata.get(TRACEPARENT).length === 0
        ? ROOT_CONTEXT
        : propagation.extract(ROOT_CONTEXT, metadata, metadataGetter);
    const span = this.telemetry.tracer.startSpan(this.name, SERVER_SPAN, parent);
    // Set once sampled, not passed to startSpan: the SDK copies and checks start attributes
    // before sampling, a cost every unsampled call would pay (docs/benchmarks.md).
    if (span.isRecording()) span.setAttributes(this.spanAttributes());
    return { span, context: trace.setSpan(parent, span) };
  }

  /** Ends the span with `code` and records the duration since `startMs` (performance.now()). */
  end(span: Span, code: number, startMs: number): void {
    if (span.isRecording()) {
      const name = statusName(code);
      span.setAttribute(ATTR_RPC_STATUS_CODE, name);
      if (isServerFault(code)) {
        span.setAttribute(ATTR_ERROR_TYPE, name);
        span.setStatus({ code: SpanStatusCode.ERROR, message: name });
      }
    }
    span.end();
    this.telemetry.duration.record(secondsSince(startMs), this.metricAttributes.of(code));
  }

  /** Built on first use: the server's port is known by then. */
  private spanAttributes(): Attributes {
    if (!this.attributes) {
      const { address, port } = this.telemetry.endpoint;
      this.attributes = {
        [ATTR_RPC_SYSTEM_NAME]: RPC_SYSTEM_NAME_VALUE_GRPC,
        [ATTR_RPC_METHOD]: this.name,
        ...(address === undefined ? {} : { [ATTR_SERVER_ADDRESS]: address }),
        ...(port === undefined ? {} : { [ATTR_SERVER_PORT]: port }),
      };
    }
    return this.attributes;
  }
}

/** The part of a grpc-js server call, of any kind, that tracing reads. */
interface TracedCall {
  readonly metadata: Metadata;
  getDeadline(): Date | number;
  on(event: 'cancelled', listener: () => void): unknown;
}

/** Starts the call's span; `end` (once) ends it with a status, a cancel ends it by itself. */
function startCallSpan(
  call: TracedCall,
  method: ServerMethodTelemetry,
): { spanContext: Context; end: (code: number) => void } {
  const startMs = performance.now();
  const { span, context: spanContext } = method.start(call.metadata);
  let ended = false;
  const end = (code: number) => {
    if (ended) return;
    ended = true;
    method.end(span, code, startMs);
  };
  // on, not once: `end` runs once anyway, and once would wrap the listener per call.
  call.on('cancelled', () => end(abandonedCode(call)));
  return { spanContext, end };
}

/** A handler that answers once through a callback: unary and client streaming. */
function tracedAnswer<Call extends TracedCall>(
  handler: (call: Call, callback: sendUnaryData<unknown>) => void,
  method: ServerMethodTelemetry,
): (call: Call, callback: sendUnaryData<unknown>) => void {
  return (call, callback) => {
    const { spanContext, end } = startCallSpan(call, method);
    const traced: sendUnaryData<unknown> = (error, value, trailer, flags) => {
      end(error ? codeOfError(error) : Status.OK);
      callback(error, value, trailer, flags);
    };
    context.with(spanContext, handler, undefined, call, traced);
  };
}

/** A handler that answers on a stream it ends: server streaming and bidirectional. */
function tracedStream<Call extends TracedCall & NodeJS.EventEmitter>(
  handler: (call: Call) => void,
  method: ServerMethodTelemetry,
): (call: Call) => void {
  return (call) => {
    const { spanContext, end } = startCallSpan(call, method);
    let code: number = Status.OK;
    call.on('error', (error: unknown) => (code = codeOfError(error)));
    call.once('finish', () => end(code));
    context.with(spanContext, handler, undefined, call);
  };
}

/**
 * A unary grpc-js handler traced: a SERVER span around it, the handler (and what it awaits)
 * running in the span's context, the span ended with the status the handler answered, or
 * with CANCELLED / DEADLINE_EXCEEDED when the call is abandoned first.
 */
export function tracedUnary(
  handler: handleUnaryCall<unknown, unknown>,
  method: ServerMethodTelemetry,
): handleUnaryCall<unknown, unknown> {
  return tracedAnswer<ServerUnaryCall<unknown, unknown>>(handler, method);
}

/** A client-streaming grpc-js handler traced as {@link tracedUnary} is: the span lasts until the answer. */
export function tracedClientStreaming(
  handler: handleClientStreamingCall<unknown, unknown>,
  method: ServerMethodTelemetry,
): handleClientStreamingCall<unknown, unknown> {
  return tracedAnswer<ServerReadableStream<unknown, unknown>>(handler, method);
}

/**
 * A server-streaming grpc-js handler traced: the span lasts until the stream ends (OK), fails
 * (the status emitted as 'error') or is abandoned (CANCELLED / DEADLINE_EXCEEDED).
 */
export function tracedServerStreaming(
  handler: handleServerStreamingCall<unknown, unknown>,
  method: ServerMethodTelemetry,
): handleServerStreamingCall<unknown, unknown> {
  return tracedStream<ServerWritableStream<unknown, unknown>>(handler, method);
}

/** A bidirectional grpc-js handler traced as {@link tracedServerStreaming} is. */
export function tracedBidiStreaming(
  handler: handleBidiStreamingCall<unknown, unknown>,
  method: ServerMethodTelemetry,
): handleBidiStreamingCall<unknown, unknown> {
  return tracedStream<ServerDuplexStream<unknown, unknown>>(handler, method);
}
