import { status as Status } from '@grpc/grpc-js';
import { Observable, Subject } from 'rxjs';
import type { Readable } from 'node:stream';

import { RpcError } from '../grpc.errors.js';
import { bindToInboundCall } from '../server/call-context.js';
import { abandonedCode, type DeadlineCall } from '../server/call-signal.js';

/** The part of a grpc-js client-streaming or bidirectional server call that this reads. */
export type RequestStreamCall = Readable & DeadlineCall & { readonly cancelled: boolean };

/**
 * The requests of a client-streaming or bidirectional call as an Observable, which is what
 * Nest's `@GrpcStreamMethod` handlers (ts-proto's `grpcStreamMethods`) take.
 *
 * - Reading starts at the first subscription. Until then grpc-js reads nothing more from the
 *   connection (HTTP/2 flow control holds the client back), so no message is lost while
 *   async guards or interceptors run.
 * - Every subscriber sees the messages from the moment it subscribed; one subscribing after
 *   the end sees the end at once.
 * - The client half-closing completes it. A cancel, an expired deadline or a forced shutdown
 *   that comes first errors it with an RpcError CANCELLED / DEADLINE_EXCEEDED (Nest's
 *   transport completes it). A grpc-js client that cancels or reaches its deadline half-closes
 *   just before it resets the stream, so the requests may complete first; the 'cancelled'
 *   that follows then unsubscribes what the handler returned, whose answer goes nowhere.
 */
export function requestsOf(call: RequestStreamCall): Observable<unknown> {
  const subject = new Subject<unknown>();
  let reading = false;
  // Messages arrive in the connection's async context; a call made on one belongs to this call.
  const next = bindToInboundCall((message: unknown) => subject.next(message));
  const abandoned = () => {
    const code = abandonedCode(call);
    subject.error(
      new RpcError(code, code === Status.DEADLINE_EXCEEDED ? 'deadline exceeded' : 'call cancelled'),
    );
  };
  const startReading = () => {
    reading = true;
    if (call.cancelled) return abandoned();
    call.on('data', next);
    call.once('end', () => subject.complete());
    call.once('cancelled', abandoned);
  };
  return new Observable<unknown>((subscriber) => {
    const subscription = subject.subscribe(subscriber);
    if (!reading) startReading();
    return subscription;
  });
}
