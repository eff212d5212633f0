import { SpanKind, SpanStatusCode, trace, type Attributes, type SpanContext } from '@opentelemetry/api';
import {
  ATTR_CODE_FUNCTION_NAME,
  ATTR_ERROR_TYPE,
  ATTR_NESTMESH_ELECTION_CANDIDATE,
  ATTR_NESTMESH_ELECTION_EPOCH,
  ATTR_NESTMESH_ELECTION_GROUP,
  ATTR_NESTMESH_ELECTION_OUTCOME,
  ATTR_NESTMESH_ELECTION_REVOKED_REASON,
  ATTR_NESTMESH_LEADER_ONLY_ON_FOLLOWER,
  EVENT_NESTMESH_ELECTED,
  EVENT_NESTMESH_LEADER_ONLY_SKIPPED,
  EVENT_NESTMESH_REVOKED,
  METRIC_NESTMESH_ELECTION_LEADER,
  METRIC_NESTMESH_LEADER_ONLY_SKIPPED,
  SPAN_NESTMESH_ELECTION_CAMPAIGN,
  SPAN_NESTMESH_ELECTION_LEADERSHIP,
} from '@nestmesh/telemetry';

import { coordinationTracer, fencingNumber, lazyInstruments } from '../coordination.telemetry.js';
import { recordLeaseLost } from '../lock/lock.telemetry.js';
import type { Leadership } from './leader-election.js';

/** The candidacies of this process that the leader gauge reports, while their app runs. */
const candidacies = new Set<CandidacyTelemetry>();

const instruments = lazyInstruments((meter) => {
  const leader = meter.createObservableGauge(METRIC_NESTMESH_ELECTION_LEADER, {
    unit: '{leader}',
    description: '1 while this candidate leads its election group, else 0',
  });
  leader.addCallback((result) => {
    for (const candidacy of candidacies) result.observe(candidacy.leads() ? 1 : 0, candidacy.attributes);
  });
  const skipped = meter.createCounter(METRIC_NESTMESH_LEADER_ONLY_SKIPPED, {
    unit: '{call}',
    description: 'Leader-only calls not run because this instance did not lead (skipped or refused)',
  });
  return { skipped };
});

/**
 * The telemetry of one candidacy (a LeaderElectionService): its campaigns as
 * `nestmesh.election.campaign` spans ending with an `elected` event, each leadership as a
 * `nestmesh.election.leadership` span ending with a `revoked` event, the leader gauge, and
 * leader-only calls skipped on a follower. Campaign and leadership spans are roots of their
 * own traces: they outlive whatever request was active when the app started.
 */
export class CandidacyTelemetry {
  readonly attributes: Attributes;
  private readonly skippedAttributes = new Map<string, Attributes>();
  private campaignContext: SpanContext | undefined;

  constructor(
    group: string,
    candidateId: string,
    /** Whether the candidate leads now (the gauge reads it at each collection). */
    readonly leads: () => boolean,
  ) {
    this.attributes = {
      [ATTR_NESTMESH_ELECTION_GROUP]: group,
      [ATTR_NESTMESH_ELECTION_CANDIDATE]: candidateId,
    };
  }

  /** Reported by the leader gauge from now on. */
  start(): void {
    candidacies.add(this);
    instruments(); // the gauge exists from the start, 0 on a follower
  }

  stop(): void {
    candidacies.delete(this);
  }

  /** Runs one campaign in its span: `elected` (epoch), or `stopped` when `stop` aborted it, or `failed`. */
  async campaign(run: () => Promise<Leadership>, stop: AbortSignal): Promise<Leadership> {
    instruments(); // the gauge follows a meter provider registered after start()
    const span = coordinationTracer.startSpan(SPAN_NESTMESH_ELECTION_CAMPAIGN, {
      kind: SpanKind.INTERNAL,
      root: true,
      attributes: this.attributes,
    });
    this.campaignContext = span.spanContext();
    try {
      const leadership = await run();
      const epoch = fencingNumber(leadership.epoch);
      span.setAttributes({
        [ATTR_NESTMESH_ELECTION_OUTCOME]: 'elected',
        [ATTR_NESTMESH_ELECTION_EPOCH]: epoch,
      });
      span.addEvent(EVENT_NESTMESH_ELECTED, { [ATTR_NESTMESH_ELECTION_EPOCH]: epoch });
      return leadership;
    } catch (error) {
      const stopped = stop.aborted;
      span.setAttribute(ATTR_NESTMESH_ELECTION_OUTCOME, stopped ? 'stopped' : 'failed');
      if (!stopped) {
        span.setAttribute(ATTR_ERROR_TYPE, error instanceof Error ? error.name : 'unknown');
        span.setStatus({
          code: SpanStatusCode.ERROR,
          message: error instanceof Error ? error.message : String(error),
        });
      }
      throw error;
    } finally {
      span.end();
    }
  }

  /**
   * Opens the span of a leadership just won (linked to its campaign); the function returned
   * ends it when the leadership ends, with a `revoked` event (epoch, reason). A lost lease
   * (`expired`, `unconfirmed`) also sets an error status and counts in `nestmesh.lease.lost`.
   */
  lead(leadership: Leadership): (reason: string) => void {
    const epoch = fencingNumber(leadership.epoch);
    const span = coordinationTracer.startSpan(SPAN_NESTMESH_ELECTION_LEADERSHIP, {
      kind: SpanKind.INTERNAL,
      root: true,
      attributes: { ...this.attributes, [ATTR_NESTMESH_ELECTION_EPOCH]: epoch },
      links: this.campaignContext ? [{ context: this.campaignContext }] : [],
    });
    return (reason) => {
      const lost = reason !== 'resigned' && reason !== 'closed';
      span.addEvent(EVENT_NESTMESH_REVOKED, {
        [ATTR_NESTMESH_ELECTION_EPOCH]: epoch,
        [ATTR_NESTMESH_ELECTION_REVOKED_REASON]: reason,
      });
      span.setAttribute(ATTR_NESTMESH_ELECTION_REVOKED_REASON, reason);
      if (lost) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: `leadership lost: ${reason}` });
        recordLeaseLost('election', reason);
      }
      span.end();
    };
  }

  /**
   * A leader-only call that did not run here: counted by group, method and what it did
   * (`skip`, `throw`), and told as a `leader_only.skipped` event on the caller's span.
   */
  skipped(onFollower: 'skip' | 'throw', method = 'unknown'): void {
    const id = `${onFollower}\n${method}`;
    let attributes = this.skippedAttributes.get(id);
    if (!attributes) {
      attributes = {
        [ATTR_NESTMESH_ELECTION_GROUP]: this.attributes[ATTR_NESTMESH_ELECTION_GROUP],
        [ATTR_CODE_FUNCTION_NAME]: method,
        [ATTR_NESTMESH_LEADER_ONLY_ON_FOLLOWER]: onFollower,
      };
      this.skippedAttributes.set(id, attributes);
    }
    instruments().skipped.add(1, attributes);
    const span = trace.getActiveSpan();
    if (span?.isRecording()) span.addEvent(EVENT_NESTMESH_LEADER_ONLY_SKIPPED, attributes);
  }
}
