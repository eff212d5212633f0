import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The inbound call a handler is serving, as the deadline budget reads it: a grpc-js server call
 * of any kind has this shape, and so has an HTTP request's budget (http-deadline-budget.ts).
 * `getDeadline()` is ms since the epoch (or a Date); Infinity when the caller set none.
 * 'cancelled' fires when the caller goes away, the deadline passes, or the call has ended.
 */
export interface InboundCall {
  readonly cancelled: boolean;
  getDeadline(): Date | number;
  once(event: 'cancelled', listener: () => void): unknown;
  removeListener(event: 'cancelled', listener: () => void): unknown;
}

// One store for the process: a client call finds the inbound call of the handler it was made in,
// however deep in that handler's async chain (awaits, rxjs operators, timers).
const storage = new AsyncLocalStorage<InboundCall>();

/** The inbound call whose handler (or what it awaits) is running now; undefined outside any. */
export function currentInboundCall(): InboundCall | undefined {
  return storage.getStore();
}

/** Runs `work` with `call` as the current inbound call (and everything it starts, async too). */
export function runInCall<Args extends unknown[], Result>(
  call: InboundCall,
  work: (...args: Args) => Result,
  ...args: Args
): Result {
  return storage.run(call, work, ...args);
}

/**
 * Runs `work` outside any inbound call: the calls it makes carry no budget and are not
 * cancelled with the current call. For work a handler starts but must outlive its answer
 * (the inbound call's end cancels the calls made in its context, as Go's context does).
 */
export function outsideInboundCall<Result>(work: () => Result): Result {
  return storage.exit(work);
}

/**
 * Binds `listener` to the current inbound call: it runs in that call's context whoever emits.
 * Event emitters do not carry async context: the requests of a streaming call arrive from the
 * connection's, and a handler's `mergeMap(request => client.call(…))` must still find its call.
 */
export function bindToInboundCall<Args extends unknown[], Result>(
  listener: (...args: Args) => Result,
): (...args: Args) => Result {
  const call = storage.getStore();
  return call === undefined ? listener : (...args) => storage.run(call, listener, ...args);
}

/** A unary or client-streaming grpc-js handler whose work runs in its call's context. */
export function inCallContext<Call extends InboundCall, Callback>(
  handler: (call: Call, callback: Callback) => void,
): (call: Call, callback: Callback) => void {
  return (call, callback) => storage.run(call, handler, call, callback);
}

/** A server-streaming or bidirectional grpc-js handler whose work runs in its call's context. */
export function streamInCallContext<Call extends InboundCall>(
  handler: (call: Call) => void,
): (call: Call) => void {
  return (call) => storage.run(call, handler, call);
}
