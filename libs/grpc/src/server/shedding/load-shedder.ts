import { Metadata, status as Status, type StatusObject } from '@grpc/grpc-js';
import type { Attributes, Counter } from '@opentelemetry/api';
import {
  ATTR_RPC_METHOD,
  ATTR_RPC_SYSTEM_NAME,
  meshMeter,
  RPC_SYSTEM_NAME_VALUE_GRPC,
} from '@nestmesh/telemetry';

import { retryPushbackMetadata } from '../../status/retry-pushback.js';
import { GRPC_TELEMETRY_SCOPE, rpcMethodOf } from '../../telemetry/rpc-telemetry.js';
import type { DeadlineCall } from '../call-signal.js';
import { AdaptiveShedder, type Overload } from './adaptive-shedder.js';
import type { ResolvedShedding } from './shedding.options.js';
import { UsualLatency } from './usual-latency.js';

/** Counter of the calls refused before their handler ran, by `rpc.method` and reason. */
export const METRIC_NESTMESH_SERVER_SHED = 'nestmesh.server.shed';
/** `concurrency` (RESOURCE_EXHAUSTED), `overload` (UNAVAILABLE) or `deadline` (DEADLINE_EXCEEDED). */
export const ATTR_NESTMESH_SHED_REASON = 'nestmesh.shed.reason';

const OK: number = Status.OK;

export type ShedReason = 'concurrency' | 'overload' | 'deadline';

/** A call refused before its handler ran: the status to answer with. */
export interface Refusal {
  readonly reason: ShedReason;
  readonly status: Partial<StatusObject> & { code: Status };
}

/** A call let in: `end` (once) with the status it ended with. */
export interface Admission {
  end(code: number): void;
}

/** Unary calls take part in every check; streaming ones only in the concurrency limit, when counted. */
export type CallKind = 'unary' | 'stream';

/**
 * The shedding of one server: the calls in flight, the adaptive shedder, the counter. Built
 * when the server starts; {@link method} gives each method its gate.
 */
export class LoadShedder {
  inFlight = 0;
  readonly adaptive: AdaptiveShedder | undefined;
  private readonly counter: Counter = meshMeter(GRPC_TELEMETRY_SCOPE).createCounter(
    METRIC_NESTMESH_SERVER_SHED,
    {
      unit: '{call}',
      description: 'Calls refused before their handler ran (load shedding), by reason.',
    },
  );

  constructor(
    readonly settings: ResolvedShedding,
    private readonly onShed: (method: string, refusal: Refusal) => void = () => undefined,
  ) {
    this.adaptive = settings.adaptive && new AdaptiveShedder(settings.adaptive, settings.clock);
  }

  /** The gate of one method; `undefined` when no check applies to it (nothing to wrap). */
  method(path: string, kind: CallKind): MethodGate | undefined {
    const counted =
      this.settings.maxConcurrentCalls < Infinity && (kind === 'unary' || this.settings.countStreams);
    const unary = kind === 'unary';
    if (!counted && !(unary && (this.adaptive || this.settings.deadlineCheck))) return undefined;
    return new MethodGate(this, rpcMethodOf(path), counted, unary);
  }

  /** Counts, reports and returns a refusal. */
  refuse(
    method: MethodGate,
    reason: ShedReason,
    code: Status,
    details: string,
    metadata = new Metadata(),
  ): Refusal {
    this.counter.add(1, method.attributesOf(reason));
    const refusal: Refusal = { reason, status: { code, details: `shed: ${details}`, metadata } };
    this.onShed(method.name, refusal);
    return refusal;
  }
}

/** The checks of one method, in order: deadline, concurrency limit, adaptive. */
export class MethodGate {
  private readonly usual: UsualLatency | undefined;
  private readonly attributes = new Map<ShedReason, Attributes>();
  /** Whether its calls count as in flight (concurrency limit, adaptive): a cancel must end them. */
  readonly countsInFlight: boolean;

  constructor(
    private readonly shedder: LoadShedder,
    readonly name: string,
    private readonly counted: boolean,
    private readonly unary: boolean,
  ) {
    const check = shedder.settings.deadlineCheck;
    this.usual = unary && check ? new UsualLatency(check) : undefined;
    this.countsInFlight = counted || (unary && shedder.adaptive !== undefined);
  }

  admit(call: DeadlineCall): Admission | Refusal {
    const { shedder } = this;
    const refusal = this.checkDeadline(call) ?? this.checkConcurrency() ?? this.checkOverload();
    if (refusal) return refusal;
    const adaptive = this.unary ? shedder.adaptive : undefined;
    const timed = adaptive !== undefined || this.usual !== undefined;
    const startMs = timed ? shedder.settings.clock.now() : 0;
    if (this.counted) shedder.inFlight++;
    adaptive?.start();
    return {
      end: (code) => {
        if (this.counted) shedder.inFlight--;
        const latencyMs = timed && code === OK ? shedder.settings.clock.now() - startMs : undefined;
        adaptive?.end(latencyMs);
        if (latencyMs !== undefined) this.usual?.record(latencyMs);
      },
    };
  }

  attributesOf(reason: ShedReason): Attributes {
    let attributes = this.attributes.get(reason);
    if (!attributes) {
      attributes = Object.freeze({
        [ATTR_RPC_SYSTEM_NAME]: RPC_SYSTEM_NAME_VALUE_GRPC,
        [ATTR_RPC_METHOD]: this.name,
        [ATTR_NESTMESH_SHED_REASON]: reason,
      });
      this.attributes.set(reason, attributes);
    }
    return attributes;
  }

  private checkDeadline(call: DeadlineCall): Refusal | undefined {
    const usualMs = this.usual?.usualMs();
    if (usualMs === undefined) return undefined;
    const deadline = call.getDeadline();
    const remainingMs = (deadline instanceof Date ? deadline.getTime() : deadline) - Date.now();
    if (remainingMs >= usualMs) return undefined;
    return this.shedder.refuse(
      this,
      'deadline',
      Status.DEADLINE_EXCEEDED,
      `${Math.max(0, Math.round(remainingMs))} ms of deadline left on arrival, less than the ${round(usualMs)} ms ${this.name} usually takes`,
    );
  }

  private checkConcurrency(): Refusal | undefined {
    const { inFlight, settings } = this.shedder;
    if (!this.counted || inFlight < settings.maxConcurrentCalls) return undefined;
    return this.shedder.refuse(
      this,
      'concurrency',
      Status.RESOURCE_EXHAUSTED,
      `${inFlight} calls in flight, the server's limit (maxConcurrentCalls)`,
    );
  }

  private checkOverload(): Refusal | undefined {
    const overload = this.unary ? this.shedder.adaptive?.check() : undefined;
    if (!overload) return undefined;
    const metadata = retryPushbackMetadata(this.shedder.settings.adaptive!.pushbackMs);
    return this.shedder.refuse(this, 'overload', Status.UNAVAILABLE, overloadDetails(overload), metadata);
  }
}

function overloadDetails({ utilization, inFlight, limit, coolingDown }: Overload): string {
  const state = coolingDown ? 'cooling down after an overload' : 'overloaded';
  return `server ${state} (event loop ${Math.round(utilization * 100)} % busy, ${inFlight} calls in flight, limit ${limit}); retry another instance`;
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

/** Whether `admit` refused the call. */
export function isRefusal(outcome: Admission | Refusal): outcome is Refusal {
  return 'reason' in outcome;
}
