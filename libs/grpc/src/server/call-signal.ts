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
