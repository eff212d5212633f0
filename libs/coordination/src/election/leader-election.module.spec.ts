import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import {
  ConsoleLogger,
  Injectable,
  Module,
  type DynamicModule,
  type INestApplicationContext,
  type Type,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { startContext, startRedis, waitFor, type RedisServer } from '@nestmesh/testing';

import {
  ElectionUnavailableError,
  InvalidElectionOptionsError,
  LeadershipLostError,
} from '../coordination.errors.js';
import { electionTiming, type LeaderElection } from './leader-election.js';
import { LeaderElectionHealthIndicator } from './leader-election.health.js';
import { LeaderElectionModule } from './leader-election.module.js';
import type { LeaderElectionModuleOptions } from './leader-election.module-definition.js';
import { LeaderElectionService } from './leader-election.service.js';
import { OnLeaderElected, OnLeaderRevoked } from './leader-hooks.decorator.js';
import { currentLeadership } from './leader-only.decorator.js';

const timing = { ttlMs: 1000, renewDeadlineMs: 700, retryIntervalMs: 50 };
let serial = 0;
/** A group of its own per test: memory elections of this process share one backend. */
const newGroup = () => `module-spec-${process.pid}-${++serial}`;

@Injectable()
class LeadershipLog {
  readonly elected: { epoch: bigint; signal: AbortSignal; inContext: boolean }[] = [];
  readonly revoked: { epoch: bigint; reason: LeadershipLostError }[] = [];

  @OnLeaderElected()
  onElected(epoch: bigint, signal: AbortSignal): void {
    this.elected.push({ epoch, signal, inContext: currentLeadership()?.epoch === epoch });
  }

  @OnLeaderRevoked()
  onRevoked(epoch: bigint, reason: LeadershipLostError): void {
    this.revoked.push({ epoch, reason });
  }
}

@Injectable()
class FailingHooks {
  @OnLeaderElected()
  onElected(): Promise<void> {
    return Promise.reject(new Error('hook failed on purpose'));
  }

  @OnLeaderRevoked()
  onRevoked(): void {
    throw new Error('revoked hook failed on purpose');
  }
}

@Module({})
class CandidateApp {}

function candidate(
  options: Partial<LeaderElectionModuleOptions> & { group: string },
  providers: Type[] = [LeadershipLog],
): DynamicModule {
  return {
    module: CandidateApp,
    imports: [LeaderElectionModule.forRoot({ url: 'memory://', ...timing, ...options })],
    providers,
  };
}

/** Nest's logger, keeping the error lines. */
class ErrorLines extends ConsoleLogger {
  readonly lines: string[] = [];
  override error(message: unknown): void {
    this.lines.push(String(message));
  }
  override log(): void {}
  override warn(): void {}
}

/** An election whose backend never answers. */
function unreachableElection(group: string): LeaderElection {
  const unavailable = () => new ElectionUnavailableError(group, new Error('connect ECONNREFUSED'));
  return {
    group,
    timing: electionTiming(timing),
    campaign: (_candidateId, { signal } = {}) =>
      new Promise((_resolve, reject) => signal?.addEventListener('abort', () => reject(signal.reason))),
    leader: () => Promise.reject(unavailable()),
    observe: async function* () {},
    close: () => Promise.resolve(),
  };
}

describe('LeaderElectionModule', () => {
  const open = new Set<INestApplicationContext>();
  const start = async (module: DynamicModule) => {
    const app = await startContext(module);
    open.add(app);
    return app;
  };
  const close = async (app: INestApplicationContext) => {
    open.delete(app);
    await app.close();
  };
  afterEach(() => Promise.all([...open].map(close)));

  it('exactly one of three candidates leads, and all agree who through leader()', async () => {
    const group = newGroup();
    const apps: LeaderElectionService[] = [];
    for (const candidateId of ['a', 'b', 'c']) {
      const app = await start(candidate({ group, candidateId }));
      apps.push(app.get(LeaderElectionService));
    }
    const leader = await waitFor(() => apps.find((service) => service.isLeader), { description: 'a leader' });
    assert.equal(apps.filter((service) => service.isLeader).length, 1);
    for (const service of apps) {
      assert.deepEqual(await service.leader(), {
        candidateId: leader.candidateId,
        epoch: leader.leadership!.epoch,
        since: leader.leadership!.since,
      });
      assert.equal(service.group, group);
    }
  });

  it('bootstrap does not wait to win: a candidate starts as a follower while another leads', async () => {
    const group = newGroup();
    const first = (await start(candidate({ group, candidateId: 'first' }))).get(LeaderElectionService);
    await waitFor(() => first.isLeader, { description: 'first leads' });
    const second = (await start(candidate({ group, candidateId: 'second' }))).get(LeaderElectionService);
    assert.equal(second.isLeader, false);
    assert.equal(second.leadership, undefined);
    assert.equal((await second.leader())?.candidateId, 'first');
  });

  it('hooks get the epoch and signal; closing the leader resigns and hands over to a higher epoch', async () => {
    const group = newGroup();
    const apps = [
      await start(candidate({ group, candidateId: 'a' })),
      await start(candidate({ group, candidateId: 'b' })),
    ];
    const leaderApp = await waitFor(() => apps.find((app) => app.get(LeaderElectionService).isLeader));
    const followerApp = apps.find((app) => app !== leaderApp)!;
    const log = leaderApp.get(LeadershipLog);
    const epoch = leaderApp.get(LeaderElectionService).leadership!.epoch;
    await waitFor(() => log.elected.length === 1, { description: 'the elected hook' });
    assert.equal(log.elected[0].epoch, epoch);
    assert.equal(log.elected[0].signal.aborted, false);
    assert.ok(log.elected[0].inContext, 'the hook runs inside currentLeadership()');
    assert.equal(followerApp.get(LeadershipLog).elected.length, 0);

    await close(leaderApp);
    const reason = log.elected[0].signal.reason as LeadershipLostError;
    assert.ok(log.elected[0].signal.aborted && reason instanceof LeadershipLostError);
    assert.equal(log.revoked.length, 1);
    assert.equal(log.revoked[0].epoch, epoch);
    assert.equal(log.revoked[0].reason.why, 'resigned');

    const next = followerApp.get(LeaderElectionService);
    await waitFor(() => next.isLeader, { description: 'the follower takes over' });
    assert.ok(next.leadership!.epoch > epoch, 'a new leadership has a greater epoch');
    await waitFor(() => followerApp.get(LeadershipLog).elected[0]?.epoch === next.leadership!.epoch);
  });

  it('a leadership lost without resigning runs the revoked hooks and the candidate campaigns again', async () => {
    const group = newGroup();
    const app = await start(candidate({ group, candidateId: 'solo' }));
    const service = app.get(LeaderElectionService);
    await waitFor(() => service.isLeader);
    const first = service.leadership!;
    await first.resign(); // as if the lease were lost: the loop sees the signal fire
    const log = app.get(LeadershipLog);
    await waitFor(() => log.revoked.length === 1, { description: 'the revoked hook' });
    await waitFor(() => service.leadership && service.leadership.epoch > first.epoch, {
      description: 'elected again',
    });
    await waitFor(() => log.elected.length === 2);
  });

  it('status() and the health indicator say who this is, whether it leads, and who leads', async () => {
    const group = newGroup();
    const app = await start(candidate({ group, candidateId: 'only' }));
    const service = app.get(LeaderElectionService);
    await waitFor(() => service.isLeader);
    const { epoch, since } = service.leadership!;
    assert.ok(since instanceof Date, 'the memory backend knows when the leadership began');
    assert.deepEqual(await service.status(), {
      group,
      candidateId: 'only',
      isLeader: true,
      epoch,
      leader: { candidateId: 'only', epoch, since },
    });
    const health = await app.get(LeaderElectionHealthIndicator).check();
    assert.deepEqual(health, {
      'leader-election': {
        status: 'up',
        group,
        candidateId: 'only',
        isLeader: true,
        leader: 'only',
        epoch: String(epoch),
        since: since.toISOString(),
      },
    });
    assert.doesNotThrow(() => JSON.stringify(health), 'health output is JSON (no bigint)');
  });

  it('the health indicator is down, and status() rejects, when the backend cannot be reached', async () => {
    const group = newGroup();
    const app = await start(
      LeaderElectionModule.forRoot({ group, candidateId: 'cut-off', election: unreachableElection(group) }),
    );
    const health = await app.get(LeaderElectionHealthIndicator).check('election');
    assert.equal(health.election.status, 'down');
    assert.equal(health.election.isLeader, false);
    assert.match(health.election.message ?? '', /unavailable.*ECONNREFUSED/);
    await assert.rejects(app.get(LeaderElectionService).status(), ElectionUnavailableError);
  });

  it('a hook that throws is logged, and neither stops the campaign nor the handover', async () => {
    const group = newGroup();
    // Nest's logger is process-wide: every app of this test gets the capturing one.
    const logger = new ErrorLines();
    const startLogged = async (module: DynamicModule) => {
      const app = await NestFactory.createApplicationContext(module, { logger, abortOnError: false });
      open.add(app);
      return app.init();
    };
    const failing = await startLogged(candidate({ group, candidateId: 'failing' }, [FailingHooks]));
    const service = failing.get(LeaderElectionService);
    await waitFor(() => service.isLeader);
    await waitFor(() =>
      logger.lines.includes('@OnLeaderElected FailingHooks.onElected failed: hook failed on purpose'),
    );
    const other = (await startLogged(candidate({ group, candidateId: 'other' }))).get(LeaderElectionService);
    await close(failing);
    assert.ok(
      logger.lines.includes('@OnLeaderRevoked FailingHooks.onRevoked failed: revoked hook failed on purpose'),
    );
    await waitFor(() => other.isLeader, { description: 'the other takes over' });
  });

  it('forRootAsync takes its options from a factory; the default candidate id is host-pid-random', async () => {
    const group = newGroup();
    const app = await start(
      LeaderElectionModule.forRootAsync({ useFactory: () => ({ group, url: 'memory://', ...timing }) }),
    );
    const service = app.get(LeaderElectionService);
    assert.match(service.candidateId, new RegExp(`-${process.pid}-[0-9a-f]{6}$`));
    await waitFor(() => service.isLeader);
  });

  it('bad options fail the app at startup with InvalidElectionOptionsError naming the option', async () => {
    const group = newGroup();
    const cases: [Partial<LeaderElectionModuleOptions>, string][] = [
      [{ ttlMs: 1000, renewDeadlineMs: 900 }, 'renewDeadlineMs'],
      [{ ttlMs: 1000, renewDeadlineMs: 400, retryIntervalMs: 50 }, 'renewDeadlineMs'],
      [{ retryIntervalMs: 5 }, 'retryIntervalMs'],
      [{ ttlMs: -1 }, 'ttlMs'],
      [{ candidateId: 'has space' }, 'candidateId'],
      [{ group: '' }, 'group'],
      [{ drainTimeoutMs: -1 }, 'drainTimeoutMs'],
      [{ url: 'http://nope' }, 'url'],
      [{ election: unreachableElection(group), url: undefined, ttlMs: 1000 }, 'ttlMs'],
      [{ election: unreachableElection('another'), url: undefined }, 'group'],
    ];
    for (const [options, option] of cases) {
      await assert.rejects(
        startContext(LeaderElectionModule.forRoot({ group, url: 'memory://', ...options })),
        (error: unknown) => error instanceof InvalidElectionOptionsError && error.option === option,
        `${JSON.stringify(options, (_key, value: unknown) => (typeof value === 'object' && value && 'campaign' in value ? 'election' : value))} names ${option}`,
      );
    }
  });
});

describe('LeaderElectionModule over Redis', () => {
  let redis: RedisServer;
  before(async () => (redis = await startRedis()));
  after(() => redis.stop());

  it('one leader of two, a handover on close, and health down once Redis is gone', async () => {
    const group = newGroup();
    const options = { group, url: redis.url, ...timing };
    const apps = [
      await startContext(candidate({ ...options, candidateId: 'r1' })),
      await startContext(candidate({ ...options, candidateId: 'r2' })),
    ];
    try {
      const [leaderApp, followerApp] = await waitFor(() => {
        const leading = apps.find((app) => app.get(LeaderElectionService).isLeader);
        return leading && [leading, apps.find((app) => app !== leading)!];
      });
      const [leader, follower] = [leaderApp, followerApp].map((app) => app.get(LeaderElectionService));
      assert.equal((await follower.leader())?.candidateId, leader.candidateId);
      const epoch = leader.leadership!.epoch;

      await leaderApp.close();
      await waitFor(() => follower.isLeader, { description: 'the follower takes over' });
      assert.ok(follower.leadership!.epoch > epoch);
      assert.equal(followerApp.get(LeadershipLog).elected.length, 1);

      await redis.kill();
      const health = followerApp.get(LeaderElectionHealthIndicator);
      await waitFor(async () => (await health.check())['leader-election'].status === 'down', {
        description: 'health down',
      });
      await waitFor(() => !follower.isLeader, { description: 'the leader demotes itself' });
      await waitFor(() => followerApp.get(LeadershipLog).revoked[0]?.reason.why === 'unconfirmed');
    } finally {
      await Promise.all(apps.map((app) => app.close()));
    }
  });
});
