import { status as Status, type sendUnaryData } from '@grpc/grpc-js';

import { codeOfError } from '../../telemetry/rpc-telemetry.js';
import type { DeadlineCall } from '../call-signal.js';
import { isRefusal, type Admission, type MethodGate } from './load-shedder.js';

/** The part of a grpc-js server call, of any kind, that shedding reads. */
interface GatedCall extends DeadlineCall {
  once(event: 'cancelled', listener: () => void): unknown;
}

interface GatedStream extends GatedCall {
  once(event: 'cancelled' | 'finish', listener: () => void): unknown;
  emit(event: 'error', status: unknown): boolean;
}

/**
 * Ends an admission once: at the handler's answer, or when the call is cancelled first (the
 * client went away, the deadline passed, the server was closed) — a handler that never answers
 * must not hold its slot for ever. A cancelled call gives no latency sample. A gate that
 * counts nothing in flight (the deadline check alone) needs no cancel listener.
 */
function endOnce(admission: Admission, call: GatedCall, gate: MethodGate): (code: number) => void {
  let ended = false;
  const end = (code: number) => {
    if (ended) return;
    ended = true;
    admission.end(code);
  };
  if (gate.countsInFlight) call.once('cancelled', () => end(Status.CANCELLED));
  return end;
}

/**
 * A handler that answers once through a callback (unary, client streaming) behind `gate`: a
 * refused call is answered with its status at once and the handler (with Nest's guards,
 * interceptors and pipes) never runs.
 */
export function gatedAnswer<Call extends GatedCall>(
  handler: (call: Call, callback: sendUnaryData<unknown>) => void,
  gate: MethodGate,
): (call: Call, callback: sendUnaryData<unknown>) => void {
  return (call, callback) => {
    const outcome = gate.admit(call);
    if (isRefusal(outcome)) {
      callback(outcome.status);
      return;
    }
    const end = endOnce(outcome, call, gate);
    handler(call, (error, value, trailer, flags) => {
      end(error ? codeOfError(error) : Status.OK);
      callback(error, value, trailer, flags);
    });
  };
}

/** A handler that answers on a stream it ends (server streaming, bidirectional) behind `gate`. */
export function gatedStream<Call extends GatedStream>(
  handler: (call: Call) => void,
  gate: MethodGate,
): (call: Call) => void {
  return (call) => {
    const outcome = gate.admit(call);
    if (isRefusal(outcome)) {
      call.emit('error', outcome.status);
      return;
    }
    const end = endOnce(outcome, call, gate);
    call.once('finish', () => end(Status.OK));
    handler(call);
  };
}
