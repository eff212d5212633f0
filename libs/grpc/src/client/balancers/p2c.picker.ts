import { experimental, Metadata, status as Status } from '@grpc/grpc-js';

import type { RetryBudget } from '../retries/retry-budget.js';
import type { InstanceScore, InstanceScores } from './instance-scores.js';

/** grpc-js sets it on every attempt of a call after the first, retry or hedge (gRFC A6). */
const PREVIOUS_ATTEMPTS_KEY = 'grpc-previous-rpc-attempts';

/** A ready instance: its score, and the picker of its connection (grpc-js' pick-first leaf). */
export interface ReadyInstance {
  score: InstanceScore;
  picker: experimental.Picker;
}

/**
 * Power of two choices: draws two ready instances that are not ejected and sends the call to
 * the cheaper one, unless the other has not been picked for probeAfterMs (then it is probed,
 * so an avoided instance's latency stays current). If every ready instance is ejected, the
 * draw is among all of them: ejection steers calls, it never refuses them.
 *
 * A call's later attempts (retries and hedges, which grpc-js runs inside the channel, out of
 * an interceptor's sight) are told apart by their `grpc-previous-rpc-attempts` metadata: they
 * avoid an instance whose last call failed within decayMs, while another is ready, go to the
 * least busy of the others, and each takes one from the client's {@link RetryBudget}; with
 * none left the attempt is refused.
 */
export class P2cPicker implements experimental.Picker {
  constructor(
    private readonly instances: readonly ReadyInstance[],
    private readonly scores: InstanceScores,
    private readonly budget?: RetryBudget,
  ) {}

  pick(pickArgs: experimental.PickArgs): experimental.PickResult {
    const extraAttempt = pickArgs.metadata.get(PREVIOUS_ATTEMPTS_KEY).length > 0;
    const chosen = this.choose(extraAttempt);
    const result = chosen.picker.pick(pickArgs);
    if (result.pickResultType !== experimental.PickResultType.COMPLETE) return result;
    if (extraAttempt && this.budget && !this.budget.tryRetry()) return budgetRefusal(this.budget);
    return this.observed(chosen.score, result, extraAttempt);
  }

  private choose(extraAttempt: boolean): ReadyInstance {
    const now = this.scores.clock.now();
    for (const instance of this.instances) this.scores.readmitIfDue(instance.score, now);
    const admitted = this.instances.filter((instance) => !instance.score.isEjected(now));
    let pool = admitted.length > 0 ? admitted : this.instances;
    if (extraAttempt) pool = this.elsewhere(pool, now);
    const chosen = pool.length === 1 ? pool[0] : this.cheaperOfTwo(pool, now);
    chosen.score.lastPickedAt = now;
    return chosen;
  }

  /**
   * Where a later attempt may go: not to an instance whose last call failed within decayMs
   * (a retry), and among the least busy (a hedge is sent because an attempt is slow
   * somewhere: the instance holding it has a call more in flight). Never an empty pool.
   */
  private elsewhere(pool: readonly ReadyInstance[], now: number): readonly ReadyInstance[] {
    const { decayMs } = this.scores.settings;
    const healthy = pool.filter((instance) => !instance.score.failedRecently(now, decayMs));
    const candidates = healthy.length > 0 ? healthy : pool;
    const fewest = Math.min(...candidates.map((instance) => instance.score.inFlight));
    return candidates.filter((instance) => instance.score.inFlight === fewest);
  }

  private cheaperOfTwo(pool: readonly ReadyInstance[], now: number): ReadyInstance {
    const clock = this.scores.clock;
    const first = Math.floor(clock.random() * pool.length);
    // A second index among the others: uniform, and never the first.
    const second = (first + 1 + Math.floor(clock.random() * (pool.length - 1))) % pool.length;
    const [cheaper, dearer] =
      pool[first].score.cost() <= pool[second].score.cost()
        ? [pool[first], pool[second]]
        : [pool[second], pool[first]];
    return now - dearer.score.lastPickedAt >= this.scores.settings.probeAfterMs ? dearer : cheaper;
  }

  /**
   * Counts the call in flight from its start and scores its outcome at its end; a first
   * attempt, once sent, adds to the retry budget.
   */
  private observed(
    score: InstanceScore,
    result: experimental.PickResult,
    extraAttempt: boolean,
  ): experimental.PickResult {
    let startedAt: number | undefined;
    const { onCallStarted, onCallEnded } = result;
    return {
      ...result,
      onCallStarted: () => {
        startedAt = this.scores.started(score);
        if (!extraAttempt) this.budget?.recordRequest();
        onCallStarted?.();
      },
      onCallEnded: (code, details, metadata) => {
        if (startedAt !== undefined) this.scores.ended(score, startedAt, code);
        onCallEnded?.(code, details, metadata);
      },
    };
  }
}

/**
 * The refusal of an attempt the budget has no room for: a TRANSIENT_FAILURE pick with
 * UNAVAILABLE, which ends the attempt before it is sent. Not a DROP: grpc-js commits a hedged
 * call to a dropped attempt and cancels the attempt still running, while a failed hedge with a
 * non-fatal code (UNAVAILABLE always is, retry-service-config.ts) leaves the others running. A
 * refused retry counts as a failed attempt: grpc-js tries again after its backoff, until
 * maxAttempts, and the call ends with this status if the budget stays empty.
 */
function budgetRefusal(budget: RetryBudget): experimental.PickResult {
  return {
    pickResultType: experimental.PickResultType.TRANSIENT_FAILURE,
    subchannel: null,
    status: {
      code: Status.UNAVAILABLE,
      details: `retry budget exhausted (${budget.settings.ratio * 100} % of requests + ${budget.settings.minRetriesPerSecond}/s over ${budget.settings.windowMs} ms)`,
      metadata: new Metadata(),
    },
    onCallStarted: null,
    onCallEnded: null,
  };
}
