import { InterceptingCall, Metadata, status as Status } from '@grpc/grpc-js';
import type {
  InterceptingListener,
  Interceptor,
  InterceptorOptions,
  NextCall,
  StatusObject,
} from '@grpc/grpc-js';
import type { Attributes, Counter, Span } from '@opentelemetry/api';
import {
  ATTR_NESTMESH_SERVICE,
  ATTR_RPC_METHOD,
  ATTR_RPC_SYSTEM_NAME,
  meshMeter,
  RPC_SYSTEM_NAME_VALUE_GRPC,
} from '@nestmesh/telemetry';

import { retryPushbackMetadata } from '../../status/retry-pushback.js';
import { encodeStatusDetails, STATUS_DETAILS_KEY } from '../../status/status-details.js';
import { GRPC_TELEMETRY_SCOPE, rpcMethodOf } from '../../telemetry/rpc-telemetry.js';
import { AdaptiveThrottle, type Rejection } from './adaptive-throttle.js';
import { CLIENT_SPAN_KEY, type TracedCallOptions } from './tracing.js';
import {
  parseCircuitBreakerOptions,
  type CircuitBreakerOptions,
  type CircuitBreakerSettings,
} from './circuit-breaker.config.js';

/** Counter of the calls a client's breaker rejected locally, by `rpc.method` and `nestmesh.service`. */
export const METRIC_CLIENT_BREAKER_REJECTIONS = 'nestmesh.client.breaker.rejections';
/** Span event on the call's CLIENT span (when tracing is on) for a call the breaker rejected. */
export const EVENT_BREAKER_REJECTED = 'nestmesh.breaker.rejected';
export const ATTR_BREAKER_REJECTION_PROBABILITY = 'nestmesh.breaker.rejection_probability';
/** ErrorInfo of a rejected call (`error.richDetails.errorInfo`): how a caller tells it from a server's UNAVAILABLE. */
export const CIRCUIT_BREAKER_OPEN_REASON = 'CIRCUIT_BREAKER_OPEN';
export const CIRCUIT_BREAKER_ERROR_DOMAIN = 'grpc.nestmesh.dev';

type CallInterface = ReturnType<NextCall>;
type MessageContext = Parameters<CallInterface['sendMessageWithContext']>[0];

interface MethodBreaker {
  name: string;
  throttle: AdaptiveThrottle;
  attributes: Attributes;
}

/**
 * A client-side circuit breaker per method of one service, as a grpc-js interceptor: Google
 * SRE's adaptive throttling ({@link AdaptiveThrottle}). A call the throttle rejects never
 * reaches grpc-js' channel — no connection, no retry, no hedge: it fails at once with
 * UNAVAILABLE, details naming the breaker, ErrorInfo reason `CIRCUIT_BREAKER_OPEN` and a
 * "do not retry" pushback. A call let through counts once, at its final status, whatever
 * grpc-js retried below (SRE counts the requests the application made). Streaming calls too:
 * a stream counts its final status (a stream left early ends CANCELLED, which is not counted).
 */
export class CircuitBreaker {
  private readonly settings: CircuitBreakerSettings;
  private readonly methods = new Map<string, MethodBreaker>();
  private readonly rejections: Counter = meshMeter(GRPC_TELEMETRY_SCOPE).createCounter(
    METRIC_CLIENT_BREAKER_REJECTIONS,
    { unit: '{call}', description: 'Calls rejected locally by the client circuit breaker, never sent.' },
  );

  /** `options` as `MeshClientModule.register({ circuitBreaker })` takes them; bad ones throw InvalidGrpcOptionsError. */
  constructor(
    private readonly service: string,
    options: CircuitBreakerOptions = {},
  ) {
    this.settings = parseCircuitBreakerOptions(options);
  }

  readonly interceptor: Interceptor = (callOptions: InterceptorOptions, nextCall: NextCall) => {
    const method = this.method(callOptions.method_definition.path);
    const rejection = method.throttle.admit();
    if (rejection) return this.reject(method, rejection, (callOptions as TracedCallOptions)[CLIENT_SPAN_KEY]);
    return new InterceptingCall(nextCall(callOptions), {
      start: (metadata, listener, next) => {
        next(metadata, {
          onReceiveStatus: (status: StatusObject, nextStatus: (status: StatusObject) => void) => {
            method.throttle.settle(status.code);
            nextStatus(status);
          },
        });
      },
    });
  };

  private reject(method: MethodBreaker, rejection: Rejection, span: Span | undefined): InterceptingCall {
    const percent = Math.round(rejection.probability * 100);
    const details =
      `circuit breaker open for ${method.name}: ${percent} % of calls rejected locally ` +
      `(${rejection.accepts} of ${rejection.requests} calls accepted in the last ${this.settings.windowMs} ms)`;
    // "Do not retry": grpc-js never sees a rejection (it happens above its retrying call), but
    // a retry layer an app puts above the breaker that honours pushback leaves it alone too.
    const metadata = retryPushbackMetadata('never');
    const errorInfo = {
      reason: CIRCUIT_BREAKER_OPEN_REASON,
      domain: CIRCUIT_BREAKER_ERROR_DOMAIN,
      metadata: { service: this.service, method: method.name },
    };
    metadata.set(STATUS_DETAILS_KEY, encodeStatusDetails(Status.UNAVAILABLE, details, { errorInfo }));
    this.rejections.add(1, method.attributes);
    // The call's CLIENT span, when ClientTracing is before the breaker.
    span?.addEvent(EVENT_BREAKER_REJECTED, {
      [ATTR_BREAKER_REJECTION_PROBABILITY]: rejection.probability,
    });
    return new InterceptingCall(new RejectedCall({ code: Status.UNAVAILABLE, details, metadata }));
  }

  private method(path: string): MethodBreaker {
    let method = this.methods.get(path);
    if (!method) {
      const name = rpcMethodOf(path);
      method = {
        name,
        throttle: new AdaptiveThrottle(this.settings),
        attributes: {
          [ATTR_RPC_SYSTEM_NAME]: RPC_SYSTEM_NAME_VALUE_GRPC,
          [ATTR_RPC_METHOD]: name,
          [ATTR_NESTMESH_SERVICE]: this.service,
        },
      };
      this.methods.set(path, method);
    }
    return method;
  }
}

/**
 * The bottom of a rejected call's interceptor chain, in place of grpc-js' channel call:
 * nothing is sent, and the status arrives on the next tick — never inside `start`, before
 * grpc-js' client has returned the call to its caller.
 */
class RejectedCall implements CallInterface {
  private delivered = false;

  constructor(private status: StatusObject) {}

  start(_metadata: Metadata, listener?: Partial<InterceptingListener>): void {
    process.nextTick(() => {
      this.delivered = true;
      listener?.onReceiveStatus?.(this.status);
    });
  }

  /** Cancelled before its status was delivered: the status is the cancellation, as grpc-js does. */
  cancelWithStatus(code: Status, details: string): void {
    if (!this.delivered) this.status = { code, details, metadata: new Metadata() };
  }

  /** No peer: the call never left the process. */
  getPeer(): string {
    return '';
  }

  /** The message goes nowhere; its write completes, as grpc-js completes one to an ended call. */
  sendMessageWithContext(context: MessageContext): void {
    process.nextTick(() => context.callback?.());
  }
  sendMessage(): void {}
  startRead(): void {}
  halfClose(): void {}
  getAuthContext(): null {
    return null;
  }
}
