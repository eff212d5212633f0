import { status as Status } from '@grpc/grpc-js';

/** The part of a grpc-js server call this needs: every call kind has it. */
export interface CancellableCall {
  readonly cancelled: boolean;
  once(event: 'cancelled', listener: () => void): unknown;
}

const signals = new WeakMap<CancellableCall, AbortSignal>();

/**
 * An AbortSignal that fires when the client cancels the call or its deadline passes, so a
 * handler can stop waiting (`await stock.changed({ signal })`) instead of working for
 * nobody. One signal per call, created on first use.
 */
export function callSignal(call: CancellableCall): AbortSignal {
  let signal = signals.get(call);
  if (signal) return signal;
  const controller = new AbortController();
  signal = controller.signal;
  signals.set(call, signal);
  if (call.cancelled) controller.abort(new Error('grpc: call cancelled'));
  else call.once('cancelled', () => controller.abort(new Error('grpc: call cancelled')));
  return signal;
}

/** The part of a grpc-js server call that knows its deadline: every call kind has it. */
export interface DeadlineCall {
  getDeadline(): Date | number;
}

/**
 * The status of a call that ended without one from its handler: DEADLINE_EXCEEDED when its
 * deadline has passed, CANCELLED (the client cancelled, or the server was force-closed) otherwise.
 */
export function abandonedCode(call: DeadlineCall): Status.DEADLINE_EXCEEDED | Status.CANCELLED {
  const deadline = call.getDeadline();
  const deadlineMs = deadline instanceof Date ? deadline.getTime() : deadline;
  // grpc-js' deadline timer fires at the deadline; 1 ms for the clock's rounding.
  return Number.isFinite(deadlineMs) && Date.now() >= deadlineMs - 1
    ? Status.DEADLINE_EXCEEDED
    : Status.CANCELLED;
}
