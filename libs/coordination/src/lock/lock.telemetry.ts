import {
  context,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
} from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_NESTMESH_LEASE_KIND,
  ATTR_NESTMESH_LEASE_LOST_WHY,
  ATTR_NESTMESH_LOCK_ATTEMPTS,
  ATTR_NESTMESH_LOCK_END_REASON,
  ATTR_NESTMESH_LOCK_KEY,
  ATTR_NESTMESH_LOCK_OUTCOME,
  ATTR_NESTMESH_LOCK_TOKEN,
  ATTR_NESTMESH_LOCK_WAIT_MS,
  DURATION_BUCKETS_SECONDS,
  EVENT_NESTMESH_LEASE_LOST,
  EVENT_NESTMESH_LOCK_RELEASED,
  METRIC_NESTMESH_LEASE_LOST,
  METRIC_NESTMESH_LOCK_HELD,
  METRIC_NESTMESH_LOCK_HOLD_DURATION,
  METRIC_NESTMESH_LOCK_WAIT_DURATION,
  secondsSince,
  SPAN_NESTMESH_LOCK_ACQUIRE,
  SPAN_NESTMESH_LOCK_HOLD,
} from '@nestmesh/telemetry';

import { LockHeldError, LockUnavailableError, type LockLostError } from '../coordination.errors.js';
import { coordinationTracer, fencingNumber, lazyInstruments } from '../coordination.telemetry.js';

/** How an acquire ended (`nestmesh.lock.outcome`). */
export type AcquireOutcome = 'acquired' | 'held-by-other' | 'timeout' | 'unavailable' | 'aborted';
/** How a hold ended (`nestmesh.lock.end_reason`): released, or why its lease was lost. */
export type HoldEnd = LockLostError['why'];

const instruments = lazyInstruments((meter) => ({
  wait: meter.createHistogram(METRIC_NESTMESH_LOCK_WAIT_DURATION, {
    unit: 's',
    description: 'Time from asking for a lock to getting it or giving up, by outcome',
    advice: { explicitBucketBoundaries: DURATION_BUCKETS_SECONDS },
  }),
  hold: meter.createHistogram(METRIC_NESTMESH_LOCK_HOLD_DURATION, {
    unit: 's',
    description: 'Time a lock was held, from its grant to its release or the loss of its lease',
    advice: { explicitBucketBoundaries: DURATION_BUCKETS_SECONDS },
  }),
  held: meter.createUpDownCounter(METRIC_NESTMESH_LOCK_HELD, {
    unit: '{lock}',
    description: 'Locks this process holds now',
  }),
  lost: meter.createCounter(METRIC_NESTMESH_LEASE_LOST, {
    unit: '{lease}',
    description: 'Leases lost before their holder gave them up, by why and kind (lock, election)',
  }),
}));

// Attribute objects made once: the hot path allocates none.
const waitAttributes = attributesBy(ATTR_NESTMESH_LOCK_OUTCOME, [
  'acquired',
  'held-by-other',
  'timeout',
  'unavailable',
  'aborted',
] satisfies AcquireOutcome[]);
const holdAttributes = attributesBy(ATTR_NESTMESH_LOCK_END_REASON, [
  'released',
  'expired',
  'unconfirmed',
  'max-hold',
] satisfies HoldEnd[]);
const NO_ATTRIBUTES: Attributes = {};

function attributesBy<T extends string>(name: string, values: T[]): Record<T, Attributes> {
  return Object.fromEntries(values.map((value) => [value, { [name]: value }])) as Record<T, Attributes>;
}

/** The lease-lost counter's attributes for a `kind` of lease and a `why`. */
const lostAttributes = new Map<string, Attributes>();
export function recordLeaseLost(kind: 'lock' | 'election', why: string): void {
  const id = `${kind}\n${why}`;
  let attributes = lostAttributes.get(id);
  if (!attributes) {
    attributes = { [ATTR_NESTMESH_LEASE_KIND]: kind, [ATTR_NESTMESH_LEASE_LOST_WHY]: why };
    lostAttributes.set(id, attributes);
  }
  instruments().lost.add(1, attributes);
}

/**
 * One `acquire`/`tryAcquire` call: the `nestmesh.lock.acquire` span (a child of the caller's
 * span) and, when it ends, the wait histogram. Attributes are built only for a recording span.
 */
export class AcquireTelemetry {
  private readonly span: Span;
  private readonly parent: Context;
  private readonly startedAt = performance.now();
  attempts = 0;

  constructor(private readonly key: string) {
    this.parent = context.active();
    this.span = coordinationTracer.startSpan(
      SPAN_NESTMESH_LOCK_ACQUIRE,
      { kind: SpanKind.INTERNAL },
      this.parent,
    );
    if (this.span.isRecording()) this.span.setAttribute(ATTR_NESTMESH_LOCK_KEY, key);
  }

  /** Runs a backend call with the acquire span active: Redlock's node events land on it. */
  around<T>(call: () => Promise<T>): Promise<T> {
    return this.span.isRecording() ? context.with(trace.setSpan(this.parent, this.span), call) : call();
  }

  /** Ends the span (acquired) and starts the hold, a sibling of the acquire span. */
  acquired(token: bigint): LockHold {
    const waitedMs = performance.now() - this.startedAt;
    instruments().wait.record(waitedMs / 1000, waitAttributes.acquired);
    if (this.span.isRecording()) {
      this.span.setAttributes({
        [ATTR_NESTMESH_LOCK_OUTCOME]: 'acquired',
        [ATTR_NESTMESH_LOCK_ATTEMPTS]: this.attempts,
        [ATTR_NESTMESH_LOCK_WAIT_MS]: waitedMs,
        [ATTR_NESTMESH_LOCK_TOKEN]: fencingNumber(token),
      });
    }
    this.span.end();
    return new LockHold(this.key, token, this.parent);
  }

  /** Ends the span with `outcome` and rethrows `error`. */
  failed(error: unknown, outcome: Exclude<AcquireOutcome, 'acquired'>): never {
    const waitedMs = performance.now() - this.startedAt;
    instruments().wait.record(waitedMs / 1000, waitAttributes[outcome]);
    if (this.span.isRecording()) {
      this.span.setAttributes({
        [ATTR_NESTMESH_LOCK_OUTCOME]: outcome,
        [ATTR_NESTMESH_LOCK_ATTEMPTS]: this.attempts,
        [ATTR_NESTMESH_LOCK_WAIT_MS]: waitedMs,
        [ATTR_ERROR_TYPE]: error instanceof Error ? error.name : 'unknown',
      });
      this.span.setStatus({
        code: SpanStatusCode.ERROR,
        message: error instanceof Error ? error.message : String(error),
      });
      if (outcome === 'unavailable' && error instanceof Error) this.span.recordException(error);
    }
    this.span.end();
    throw error;
  }
}

/** Which outcome an acquire's `error` is (a wait of `waitMs` that ran out is a timeout). */
export function outcomeOf(
  error: unknown,
  waitMs: number,
  signal?: AbortSignal,
): Exclude<AcquireOutcome, 'acquired'> {
  if (error instanceof LockHeldError) return waitMs > 0 ? 'timeout' : 'held-by-other';
  if (signal?.aborted && error === signal.reason) return 'aborted';
  if (error instanceof LockUnavailableError) return 'unavailable';
  return error instanceof Error && error.name === 'AbortError' ? 'aborted' : 'unavailable';
}

/**
 * A held lock's `nestmesh.lock.hold` span, from its grant to its release or the loss of its
 * lease, and the held count and hold histogram. A span rather than events on the acquire span:
 * the work done under the lock (and its store calls) nests under it, the waterfall shows how
 * long the lock was held, and a lost lease marks it with an error status.
 */
export class LockHold {
  private readonly span: Span;
  /** The context work under the lock runs in (the hold span active), or undefined when not recording. */
  private readonly context: Context | undefined;
  private readonly startedAt = performance.now();
  private ended = false;

  constructor(key: string, token: bigint, parent: Context) {
    this.span = coordinationTracer.startSpan(SPAN_NESTMESH_LOCK_HOLD, { kind: SpanKind.INTERNAL }, parent);
    if (this.span.isRecording()) {
      this.span.setAttributes({
        [ATTR_NESTMESH_LOCK_KEY]: key,
        [ATTR_NESTMESH_LOCK_TOKEN]: fencingNumber(token),
      });
      this.context = trace.setSpan(parent, this.span);
    }
    instruments().held.add(1, NO_ATTRIBUTES);
  }

  /** Runs `fn` with the hold span active, so that what it traces nests under the hold. */
  run<T>(fn: () => T): T {
    return this.context ? context.with(this.context, fn) : fn();
  }

  /** Ends the hold: released, or its lease lost (`lease.lost` event, error status, counter). */
  end(why: HoldEnd): void {
    if (this.ended) return;
    this.ended = true;
    const { held, hold } = instruments();
    held.add(-1, NO_ATTRIBUTES);
    hold.record(secondsSince(this.startedAt), holdAttributes[why]);
    if (why !== 'released') recordLeaseLost('lock', why);
    if (this.span.isRecording()) {
      this.span.setAttribute(ATTR_NESTMESH_LOCK_END_REASON, why);
      if (why === 'released') this.span.addEvent(EVENT_NESTMESH_LOCK_RELEASED);
      else {
        this.span.addEvent(EVENT_NESTMESH_LEASE_LOST, { [ATTR_NESTMESH_LEASE_LOST_WHY]: why });
        this.span.setStatus({ code: SpanStatusCode.ERROR, message: `lease lost: ${why}` });
      }
    }
    this.span.end();
  }
}
