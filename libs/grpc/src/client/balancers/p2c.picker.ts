import { experimental } from '@grpc/grpc-js';

import type { InstanceScore, InstanceScores } from './instance-scores.js';

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
 */
export class P2cPicker implements experimental.Picker {
  constructor(
    private readonly instances: readonly ReadyInstance[],
    private readonly scores: InstanceScores,
  ) {}

  pick(pickArgs: experimental.PickArgs): experimental.PickResult {
    const chosen = this.choose();
    const result = chosen.picker.pick(pickArgs);
    if (result.pickResultType !== experimental.PickResultType.COMPLETE) return result;
    return this.observed(chosen.score, result);
  }

  private choose(): ReadyInstance {
    const now = this.scores.clock.now();
    for (const instance of this.instances) this.scores.readmitIfDue(instance.score, now);
    const admitted = this.instances.filter((instance) => !instance.score.isEjected(now));
    const pool = admitted.length > 0 ? admitted : this.instances;
    const chosen = pool.length === 1 ? pool[0] : this.cheaperOfTwo(pool, now);
    chosen.score.lastPickedAt = now;
    return chosen;
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

  /** Counts the call in flight from its start and scores its outcome at its end. */
  private observed(score: InstanceScore, result: experimental.PickResult): experimental.PickResult {
    let startedAt: number | undefined;
    const { onCallStarted, onCallEnded } = result;
    return {
      ...result,
      onCallStarted: () => {
        startedAt = this.scores.started(score);
        onCallStarted?.();
      },
      onCallEnded: (code, details, metadata) => {
        if (startedAt !== undefined) this.scores.ended(score, startedAt, code);
        onCallEnded?.(code, details, metadata);
      },
    };
  }
}
