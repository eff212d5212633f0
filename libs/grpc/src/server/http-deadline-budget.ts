import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';

import { InvalidGrpcOptionsError } from '../grpc.errors.js';
import { runInCall, type InboundCall } from './call-context.js';

/** The budget of an HTTP request that asks for none: 10 s, above any sane API answer, below a proxy's 30–60 s. */
export const DEFAULT_HTTP_DEADLINE_MS = 10_000;
/** The header a client shortens its request's budget with, in whole ms (`Request-Timeout-Ms: 300`). */
export const REQUEST_TIMEOUT_HEADER = 'request-timeout-ms';

export interface HttpDeadlineOptions {
  /** Each request's budget in ms, counted from when this middleware runs; a client's header can only shorten it. Default 10 000. */
  deadlineMs?: number;
}

/** An HTTP request as an inbound call: its deadline, and 'cancelled' once its response closes. */
class HttpRequestBudget extends EventEmitter implements InboundCall {
  cancelled = false;

  constructor(private readonly deadlineMs: number) {
    super();
  }

  getDeadline(): number {
    return this.deadlineMs;
  }

  /** The client went away, or the answer is sent: calls still running for it are of no use. */
  end(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.emit('cancelled');
  }
}

/** The client's header as ms; undefined when absent, NaN when it is not a whole number. */
function requestedTimeoutMs(request: IncomingMessage): number | undefined {
  const raw = request.headers[REQUEST_TIMEOUT_HEADER];
  if (raw === undefined) return undefined;
  return typeof raw === 'string' && /^\d{1,9}$/.test(raw.trim()) ? Number(raw) : NaN;
}

function refuse(response: ServerResponse, detail: string): void {
  response.statusCode = 400;
  response.setHeader('content-type', 'application/problem+json');
  response.end(
    JSON.stringify({ type: 'about:blank', title: 'Bad Request', status: 400, detail, code: 'BAD_REQUEST' }),
  );
}

/**
 * Connect/Express middleware giving each HTTP request a deadline budget: the gRPC calls made
 * while handling it (through a MeshClient) get at most what is left of it, less the client's
 * margin, and are cancelled when the response closes. A spent budget fails those calls with
 * DEADLINE_EXCEEDED, which the HTTP edge answers 504. A client may ask for a shorter budget
 * with `Request-Timeout-Ms`; a value that is not a whole number of ms is answered 400.
 * Register it after the body parsers: they call the next middleware from the request
 * stream's events, outside the context this one sets.
 */
export function httpDeadlineBudget(
  options: HttpDeadlineOptions = {},
): (request: IncomingMessage, response: ServerResponse, next: () => void) => void {
  const budgetMs = options.deadlineMs ?? DEFAULT_HTTP_DEADLINE_MS;
  if (!Number.isSafeInteger(budgetMs) || budgetMs < 1) {
    throw new InvalidGrpcOptionsError('deadlineMs', `must be a whole number of ms ≥ 1, got ${budgetMs}`);
  }
  return (request, response, next) => {
    const requested = requestedTimeoutMs(request);
    if (Number.isNaN(requested)) {
      return refuse(response, `${REQUEST_TIMEOUT_HEADER} must be a whole number of milliseconds`);
    }
    const budget = new HttpRequestBudget(Date.now() + Math.min(budgetMs, requested ?? budgetMs));
    response.once('close', () => budget.end());
    runInCall(budget, next);
  };
}
