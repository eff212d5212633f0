import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  Injectable,
  Module,
  type DynamicModule,
  type INestApplicationContext,
  type Type,
} from '@nestjs/common';
import { Interval, ScheduleModule } from '@nestjs/schedule';
import { startContext, waitFor } from '@nestmesh/testing';

import { LeadershipLostError, NotLeaderError } from '../coordination.errors.js';
import { LeaderElectionModule } from './leader-election.module.js';
import type { LeaderElectionModuleOptions } from './leader-election.module-definition.js';
import { LeaderElectionService } from './leader-election.service.js';
import { OnLeaderElected } from './leader-hooks.decorator.js';
import { currentLeadership, LeaderOnly } from './leader-only.decorator.js';

const timing = { ttlMs: 1000, renewDeadlineMs: 700, retryIntervalMs: 50 };
let serial = 0;
const newGroup = () => `leader-only-spec-${process.pid}-${++serial}`;

/** What happened, in order, across the instances of one test. */
const events: string[] = [];

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

@Injectable()
class Jobs {
  runs = 0;

  constructor(private readonly election: LeaderElectionService) {}

  @LeaderOnly()
  async skipOnFollower(): Promise<bigint | undefined> {
    this.runs++;
    return currentLeadership()?.epoch;
  }

  @LeaderOnly({ onFollower: 'throw' })
  async throwOnFollower(): Promise<string> {
    this.runs++;
    return 'ran';
  }

  @LeaderOnly()
  async slow(release: Promise<void>): Promise<void> {
    const { signal } = currentLeadership()!;
    events.push(`${this.election.candidateId} work started`);
    await release;
    events.push(
      `${this.election.candidateId} work finished${signal.aborted ? ' after losing the leadership' : ''}`,
    );
  }

  @LeaderOnly()
  async outer(): Promise<bigint | undefined> {
    await sleep(50);
    return this.skipOnFollower();
  }

  @OnLeaderElected()
  onElected(): void {
    events.push(`${this.election.candidateId} elected`);
  }
}

@Injectable()
class ScheduledJobs {
  ticks = 0;
  ticksOtherOrder = 0;

  @Interval(20)
  @LeaderOnly()
  tick(): void {
    this.ticks++;
  }

  @LeaderOnly()
  @Interval(20)
  tickOtherOrder(): void {
    this.ticksOtherOrder++;
  }
}

@Module({})
class JobsApp {}

function jobsApp(
  options: Partial<LeaderElectionModuleOptions> & { group: string },
  imports: DynamicModule[] = [],
) {
  return {
    module: JobsApp,
    imports: [...imports, LeaderElectionModule.forRoot({ url: 'memory://', ...timing, ...options })],
    providers: [Jobs, ScheduledJobs] as Type[],
  };
}

describe('@LeaderOnly', () => {
  const open = new Set<INestApplicationContext>();
  const start = async (module: DynamicModule) => {
    const app = await startContext(module);
    open.add(app);
    return app;
  };
  afterEach(() => Promise.all([...open].map((app) => app.close())).then(() => open.clear()));

  /** Two candidates of one group, once one of them leads. */
  async function pair(options: Partial<LeaderElectionModuleOptions> = {}, imports: DynamicModule[] = []) {
    const group = newGroup();
    const apps = [
      await start(jobsApp({ group, candidateId: `${group}-a`, ...options }, imports)),
      await start(jobsApp({ group, candidateId: `${group}-b`, ...options }, imports)),
    ];
    const leader = await waitFor(() => apps.find((app) => app.get(LeaderElectionService).isLeader), {
      description: 'a leader',
    });
    return { leader, follower: apps.find((app) => app !== leader)! };
  }

  it('runs on the leader inside currentLeadership(); on a follower skip resolves undefined, throw rejects', async () => {
    const { leader, follower } = await pair();
    const epoch = leader.get(LeaderElectionService).leadership!.epoch;
    assert.equal(await leader.get(Jobs).skipOnFollower(), epoch);
    assert.equal(await leader.get(Jobs).throwOnFollower(), 'ran');
    assert.equal(currentLeadership(), undefined, 'no leadership outside the call');

    const jobs = follower.get(Jobs);
    assert.equal(await jobs.skipOnFollower(), undefined);
    await assert.rejects(
      jobs.throwOnFollower(),
      (error: unknown) =>
        error instanceof NotLeaderError &&
        error.code === 'NOT_LEADER' &&
        error.leader === leader.get(LeaderElectionService).candidateId,
    );
    assert.equal(jobs.runs, 0, 'the follower never ran the method body');
  });

  it('with @nestjs/schedule, an interval job runs on the leader only, then on the next leader', async () => {
    const { leader, follower } = await pair({}, [ScheduleModule.forRoot()]);
    const [leaderJobs, followerJobs] = [leader.get(ScheduledJobs), follower.get(ScheduledJobs)];
    await waitFor(() => leaderJobs.ticks >= 3 && leaderJobs.ticksOtherOrder >= 3, {
      description: 'ticks on the leader',
    });
    assert.equal(followerJobs.ticks + followerJobs.ticksOtherOrder, 0, 'no tick ran on the follower');

    await leader.close();
    open.delete(leader);
    const ticksAtClose = leaderJobs.ticks;
    await waitFor(() => followerJobs.ticks >= 3 && followerJobs.ticksOtherOrder >= 3, {
      description: 'ticks on the next leader',
    });
    assert.equal(leaderJobs.ticks, ticksAtClose, 'the closed instance ticks no more');
  });

  it('at shutdown the leader finishes a call in flight before resigning; new calls are refused meanwhile', async () => {
    events.length = 0;
    const { leader, follower } = await pair();
    const [leaderId, followerId] = [leader, follower].map(
      (app) => app.get(LeaderElectionService).candidateId,
    );
    events.length = 0; // keep only what follows
    const jobs = leader.get(Jobs);
    const release = deferred();
    const inFlight = jobs.slow(release.promise);
    const closing = leader.close();
    open.delete(leader);

    await waitFor(async () => (await jobs.skipOnFollower()) === undefined, { description: 'draining' });
    assert.equal(leader.get(LeaderElectionService).isLeader, true, 'still the leader while draining');
    await assert.rejects(jobs.throwOnFollower(), NotLeaderError);
    await sleep(timing.retryIntervalMs * 6); // several campaign attempts of the follower
    assert.equal(follower.get(LeaderElectionService).isLeader, false, 'no new leader during the drain');

    release.resolve();
    await inFlight;
    await closing;
    await waitFor(() => follower.get(LeaderElectionService).isLeader, { description: 'the next leader' });
    await waitFor(() => events.includes(`${followerId} elected`));
    assert.deepEqual(events, [
      `${leaderId} work started`,
      `${leaderId} work finished`,
      `${followerId} elected`,
    ]);
  });

  it('a leader-only call nested in one in flight still runs during the drain', async () => {
    const { leader } = await pair();
    const epoch = leader.get(LeaderElectionService).leadership!.epoch;
    const outer = leader.get(Jobs).outer();
    await leader.close();
    open.delete(leader);
    assert.equal(await outer, epoch);
  });

  it('past drainTimeoutMs the leader resigns anyway, and the call in flight sees its signal fire', async () => {
    events.length = 0;
    const { leader, follower } = await pair({ drainTimeoutMs: 100 });
    const leaderId = leader.get(LeaderElectionService).candidateId;
    const release = deferred();
    const inFlight = leader.get(Jobs).slow(release.promise);
    await leader.close();
    open.delete(leader);
    await waitFor(() => follower.get(LeaderElectionService).isLeader, { description: 'the next leader' });
    release.resolve();
    await inFlight;
    assert.ok(events.includes(`${leaderId} work finished after losing the leadership`));
  });

  it('outside an app with LeaderElectionModule the method never runs (fails closed)', async () => {
    const jobs = new Jobs({ candidateId: 'none' } as LeaderElectionService);
    assert.equal(await jobs.skipOnFollower(), undefined);
    await assert.rejects(jobs.throwOnFollower(), NotLeaderError);
    assert.equal(jobs.runs, 0);
  });

  it('a revoked leadership ends currentLeadership().signal with a LeadershipLostError', async () => {
    const { leader } = await pair();
    const service = leader.get(LeaderElectionService);
    const signal = await service.runAsLeader(async () => {
      const { signal } = currentLeadership()!;
      await service.leadership!.resign();
      return signal;
    });
    assert.ok(signal?.aborted && signal.reason instanceof LeadershipLostError);
    assert.equal((signal.reason as LeadershipLostError).why, 'resigned');
  });
});
