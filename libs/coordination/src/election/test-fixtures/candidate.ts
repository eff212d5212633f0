// A candidate as the election tests and the failover benchmark run it: it campaigns, and
// while it leads it "acts" — a fenced write every 20 ms carrying its epoch — and stops when
// its leadership's signal fires. Every step is reported as an event (wall-clock `at`, so that
// events of different processes on one machine compare).
import { setTimeout as sleep } from 'node:timers/promises';

import type { LeaderElection, Leadership } from '../leader-election.js';
import type { FencedLog } from './fenced-log.js';

export type CandidateEvent =
  | { event: 'elected'; epoch: string; at: number }
  | { event: 'revoked'; epoch: string; why: string; at: number; writes: number }
  | { event: 'stale-write'; epoch: string; accepted: boolean; at: number }
  | { event: 'observed'; leader: string | null; epoch: string | null; at: number }
  | { event: 'drained'; epoch: string; at: number }
  | { event: 'resigned'; epoch: string; at: number };

export interface Candidate {
  /** Leadership now held, if any. */
  readonly leadership: Leadership | undefined;
  /** Resigns after the current write (the SIGTERM path) and stops campaigning. */
  stop(): Promise<void>;
}

export function runCandidate(
  election: LeaderElection,
  candidateId: string,
  log: FencedLog,
  report: (event: CandidateEvent) => void,
): Candidate {
  const stopping = new AbortController();
  let leadership: Leadership | undefined;
  let acting: Promise<void> = Promise.resolve();

  void (async () => {
    for await (const leader of election.observe({ signal: stopping.signal })) {
      report({
        event: 'observed',
        leader: leader?.candidateId ?? null,
        epoch: leader?.epoch.toString() ?? null,
        at: Date.now(),
      });
    }
  })();

  const act = async (won: Leadership) => {
    let writes = 0;
    while (!won.signal.aborted && !stopping.signal.aborted) {
      await log.write(won.epoch, candidateId).then(
        (accepted) => accepted && writes++,
        () => undefined, // the store is another service; its outages are not the election's
      );
      await sleep(20);
    }
    if (won.signal.aborted) {
      const why = (won.signal.reason as { why?: string }).why ?? String(won.signal.reason);
      report({ event: 'revoked', epoch: won.epoch.toString(), why, at: Date.now(), writes });
      // A write that was still on its way when leadership ended: the store must refuse it
      // once a newer leader has written.
      const accepted = await log.write(won.epoch, candidateId).catch(() => false);
      report({ event: 'stale-write', epoch: won.epoch.toString(), accepted, at: Date.now() });
    }
  };

  void (async () => {
    while (!stopping.signal.aborted) {
      try {
        leadership = await election.campaign(candidateId, { signal: stopping.signal });
      } catch {
        return; // stopped
      }
      report({ event: 'elected', epoch: leadership.epoch.toString(), at: Date.now() });
      acting = act(leadership);
      await acting;
      leadership = undefined;
    }
  })();

  return {
    get leadership() {
      return leadership;
    },
    async stop() {
      const held = leadership;
      stopping.abort();
      await acting; // drain: the current write ends before leadership is released
      if (held?.active) {
        // It acts no more from here: the moment a successor may start without overlap.
        report({ event: 'drained', epoch: held.epoch.toString(), at: Date.now() });
        await held.resign();
        report({ event: 'resigned', epoch: held.epoch.toString(), at: Date.now() });
      }
    },
  };
}
