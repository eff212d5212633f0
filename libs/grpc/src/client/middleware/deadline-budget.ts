import { status as Status } from '@grpc/grpc-js';
import type { CallOptions } from '@grpc/grpc-js';

import { RpcError } from '../../grpc.errors.js';
import { currentInboundCall, type InboundCall } from '../../server/call-context.js';
import { callOptionsOf, deadlineOf, type MeshCallOptions } from '../call-options.js';

/**
 * What a call made while handling another leaves of that call's deadline: 5 ms, for the hop
 * back and the caller's own work after the answer, so that a callee out of time fails before
 * its caller does and the caller still answers with a status of its own, not with a timeout.
 */
export const DEFAULT_BUDGET_MARGIN_MS = 5;

/** The grpc-js options of one outbound call, and the inbound call it belongs to, if any. */
export interface BudgetedCall {
  callOptions: CallOptions;
  inbound: InboundCall | undefined;
}

/**
 * The options of a call made now: its own deadline (`deadline`, `timeoutMs` or the client's
 * default), capped, when it is made while a handler serves an inbound call, by that call's
 * deadline less `marginMs`. Outside any inbound call this costs one AsyncLocalStorage lookup.
 * Throws, so that nothing is sent, an RpcError DEADLINE_EXCEEDED when the budget is spent, else
 * CANCELLED when the inbound call has been cancelled (or has ended).
 */
export function budgetedCallOptions(
  options: MeshCallOptions,
  defaultTimeoutMs: number,
  marginMs: number,
  path: string,
  inbound: InboundCall | undefined = currentInboundCall(),
): BudgetedCall {
  if (inbound === undefined) return { callOptions: callOptionsOf(options, defaultTimeoutMs), inbound };
  const own = deadlineOf(options, defaultTimeoutMs);
  const ownMs = own instanceof Date ? own.getTime() : (own ?? Infinity);
  const inboundDeadline = inbound.getDeadline();
  const inboundMs = inboundDeadline instanceof Date ? inboundDeadline.getTime() : inboundDeadline;
  const budgetMs = inboundMs - marginMs;
  if (budgetMs === Infinity || ownMs <= budgetMs) {
    // No budget, or the call's own deadline is the shorter: grpc-js enforces it as anywhere.
    return { callOptions: own === undefined ? {} : { deadline: own }, inbound: liveInbound(inbound, path) };
  }
  if (budgetMs <= Date.now()) {
    throw new RpcError(
      Status.DEADLINE_EXCEEDED,
      `deadline budget spent: ${Math.max(0, inboundMs - Date.now())} ms left of the inbound call, margin ${marginMs} ms`,
      { method: path },
    );
  }
  return { callOptions: { deadline: budgetMs }, inbound: liveInbound(inbound, path) };
}

/** `inbound`, unless it has been cancelled (or has ended): then no call is made for it. */
function liveInbound(inbound: InboundCall, path: string): InboundCall {
  if (!inbound.cancelled) return inbound;
  throw new RpcError(Status.CANCELLED, 'the inbound call this call was made for has ended', { method: path });
}

/**
 * Cancels `outbound` when `inbound` is cancelled, until `outbound` has its status. (grpc-js'
 * `CallOptions.parent` does the same but never removes its listener: a stream handler making
 * a call per message would pile them up on the inbound call.)
 */
export function cancelWithInbound(
  outbound: NodeJS.EventEmitter & { cancel(): void },
  inbound: InboundCall | undefined,
): void {
  if (inbound === undefined) return;
  const cancel = () => outbound.cancel();
  inbound.once('cancelled', cancel);
  outbound.once('status', () => inbound.removeListener('cancelled', cancel));
}
