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

import {
  InvalidElectionOptionsError,
  LeadershipLostError,
  MethodNotBoundError,
  NotLeaderError,
} from '../coordination.errors.js';
import { LeaderElectionModule } from './leader-election.module.js';
import type { LeaderElectionModuleOptions } from './leader-election.module-definition.js';
import { LeaderElectionService } from './leader-election.service.js';
import { OnLeaderElected } from './leader-hooks.decorator.js';
import { currentLeadership, LeaderOnly } from './leader-only.decorator.js';

const timing = { ttlMs: 1000, renewDeadlineMs: 700, retryIntervalMs: 50 };
/**
 * How long any wait here may take: a new leader comes within a lease and a retry (a closed
 * leader resigns, so sooner), and the 20 ms interval jobs fire many times in that span; ×5 is
 * the margin for a loaded machine.
 */
const waitMs = 5 * (timing.ttlMs + timing.retryIntervalMs);
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
  skipOnFollower(): Promise<bigint | undefined> {
    this.runs++;
    return Promise.resolve(currentLeadership()?.epoch);
  }

  @LeaderOnly({ onFollower: 'throw' })
  throwOnFollower(): Promise<string> {
    this.runs++;
    return Promise.resolve('ran');
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
  electionFirst = false,
) {
  const election = LeaderElectionModule.forRoot({ url: 'memory://', ...timing, ...options });
  return {
    module: JobsApp,
    imports: electionFirst ? [election, ...imports] : [...imports, election],
    providers: [Jobs, ScheduledJobs] as Type[],
  };
}

describe('@LeaderOnly', { timeout: 60_000 }, () => {
  const open = new Set<INestApplicationContext>();
  const start = async (module: DynamicModule) => {
    const app = await startContext(module);
    open.add(app);
    return app;
  };
  afterEach(() => Promise.all([...open].map((app) => app.close())).then(() => open.clear()));

  /** Two candidates of one group, once one of them leads. */
  async function pair(
    options: Partial<LeaderElectionModuleOptions> = {},
    imports: DynamicModule[] = [],
    electionFirst = false,
  ) {
    const group = newGroup();
    const apps = [
      await start(jobsApp({ group, candidateId: `${group}-a`, ...options }, imports, electionFirst)),
      await start(jobsApp({ group, candidateId: `${group}-b`, ...options }, imports, electionFirst)),
    ];
    const leader = await waitFor(() => apps.find((app) => app.get(LeaderElectionService).isLeader), {
      timeoutMs: waitMs,
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

  for (const order of ['ScheduleModule first', 'LeaderElectionModule first'] as const) {
    it(`with @nestjs/schedule (${order}), an interval job runs on the leader only, then on the next leader`, async () => {
      const { leader, follower } = await pair(
        {},
        [ScheduleModule.forRoot()],
        order !== 'ScheduleModule first',
      );
      const [leaderJobs, followerJobs] = [leader.get(ScheduledJobs), follower.get(ScheduledJobs)];
      await waitFor(() => leaderJobs.ticks >= 3 && leaderJobs.ticksOtherOrder >= 3, {
        timeoutMs: waitMs,
        description: 'ticks on the leader',
      });
      assert.equal(followerJobs.ticks + followerJobs.ticksOtherOrder, 0, 'no tick ran on the follower');

      await leader.close();
      open.delete(leader);
      const ticksAtClose = leaderJobs.ticks;
      await waitFor(() => followerJobs.ticks >= 3 && followerJobs.ticksOtherOrder >= 3, {
        timeoutMs: waitMs,
        description: 'ticks on the next leader',
      });
      assert.equal(leaderJobs.ticks, ticksAtClose, 'the closed instance ticks no more');
    });
  }

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

    await waitFor(async () => (await jobs.skipOnFollower()) === undefined, {
      timeoutMs: waitMs,
      description: 'draining',
    });
    assert.equal(leader.get(LeaderElectionService).isLeader, true, 'still the leader while draining');
    await assert.rejects(jobs.throwOnFollower(), NotLeaderError);
    await sleep(timing.retryIntervalMs * 6); // several campaign attempts of the follower
    assert.equal(follower.get(LeaderElectionService).isLeader, false, 'no new leader during the drain');

    release.resolve();
    await inFlight;
    await closing;
    await waitFor(() => follower.get(LeaderElectionService).isLeader, {
      timeoutMs: waitMs,
      description: 'the next leader',
    });
    await waitFor(() => events.includes(`${followerId} elected`), { timeoutMs: waitMs });
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
    await waitFor(() => follower.get(LeaderElectionService).isLeader, {
      timeoutMs: waitMs,
      description: 'the next leader',
    });
    release.resolve();
    await inFlight;
    assert.ok(events.includes(`${leaderId} work finished after losing the leadership`));
  });

  it('an instance no app has bound (outside an app, or before init) rejects with MethodNotBoundError and never runs', async () => {
    const jobs = new Jobs({ candidateId: 'none' } as LeaderElectionService);
    for (const call of [() => jobs.skipOnFollower(), () => jobs.throwOnFollower()]) {
      await assert.rejects(call(), (error: unknown) => {
        assert.ok(error instanceof MethodNotBoundError);
        assert.match(error.message, /^election: Jobs\.\w+ is @LeaderOnly, but/);
        return true;
      });
    }
    assert.equal(jobs.runs, 0);
  });

  it('onFollower other than skip or throw is refused when the class is defined', () => {
    assert.throws(
      () => LeaderOnly({ onFollower: 'ignore' as 'skip' }),
      (error: unknown) => error instanceof InvalidElectionOptionsError && error.option === 'onFollower',
    );
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
    assert.equal(signal.reason.why, 'resigned');
  });
});
