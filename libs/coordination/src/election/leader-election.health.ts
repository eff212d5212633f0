import { Injectable } from '@nestjs/common';

import { LeaderElectionService } from './leader-election.service.js';

/**
 * One indicator's entry, in the shape @nestjs/terminus reads (`HealthIndicatorResult`).
 * Epochs are decimal strings: health output is JSON, which has no bigint.
 */
export interface LeaderElectionHealth {
  status: 'up' | 'down';
  group: string;
  candidateId: string;
  isLeader: boolean;
  /** The leader's candidate id; null when nobody leads or the backend did not answer. */
  leader: string | null;
  /** The leader's epoch; null likewise. */
  epoch: string | null;
  /** When the current leadership began (ISO 8601), when the backend knows; null otherwise. */
  since: string | null;
  /** Why it is down. */
  message?: string;
}

/**
 * Health of the election for a readiness check: 'up' when the backend answers who leads
 * (leading is not required: followers are healthy), 'down' when it cannot be reached.
 * A 'down' result is returned, not thrown, as terminus's HealthIndicatorService does:
 * `health.check([() => this.electionHealth.check()])`.
 */
@Injectable()
export class LeaderElectionHealthIndicator {
  constructor(private readonly election: LeaderElectionService) {}

  async check<const Key extends string = 'leader-election'>(
    key: Key = 'leader-election' as Key,
  ): Promise<Record<Key, LeaderElectionHealth>> {
    const { group, candidateId } = this.election;
    let health: LeaderElectionHealth;
    try {
      const leader = await this.election.leader();
      health = {
        status: 'up',
        group,
        candidateId,
        isLeader: this.election.isLeader,
        leader: leader?.candidateId ?? null,
        epoch: leader ? String(leader.epoch) : null,
        since: leader?.since?.toISOString() ?? null,
      };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      health = {
        status: 'down',
        group,
        candidateId,
        isLeader: this.election.isLeader,
        leader: null,
        epoch: null,
        since: null,
        message,
      };
    }
    return { [key]: health } as Record<Key, LeaderElectionHealth>;
  }
}
