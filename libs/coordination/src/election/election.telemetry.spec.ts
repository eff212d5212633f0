// Each spec file runs in its own process: this one registers the in-memory SDK first.
import { captureTelemetry } from '@nestmesh/telemetry/testing';

import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import { Injectable, Module, type INestApplicationContext } from '@nestjs/common';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import {
  METRIC_NESTMESH_ELECTION_LEADER,
  METRIC_NESTMESH_LEADER_ONLY_SKIPPED,
  METRIC_NESTMESH_LEASE_LOST,
} from '@nestmesh/telemetry';
import { startContext, waitFor } from '@nestmesh/testing';

import { NotLeaderError } from '../coordination.errors.js';
import { stall } from '../lock/testing/stall.js';
import { LeaderElectionModule } from './leader-election.module.js';
import { LeaderElectionService } from './leader-election.service.js';
import { LeaderOnly } from './leader-only.decorator.js';

const telemetry = captureTelemetry();
const tracer = trace.getTracer('election.telemetry.spec');
// Long enough that a loaded machine does not lose a leadership the test did not mean to.
const timing = { ttlMs: 3000, renewDeadlineMs: 2000, retryIntervalMs: 50 };
let serial = 0;

@Injectable()
class Jobs {
  runs = 0;

  @LeaderOnly()
  restock(): Promise<void> {
    this.runs++;
    return Promise.resolve();
  }

  @LeaderOnly({ onFollower: 'throw' })
  strict(): Promise<void> {
    return Promise.resolve();
  }
}

@Module({ providers: [Jobs] })
class JobsModule {}

function candidate(group: string, candidateId: string) {
  return startContext({
    module: class App {},
    imports: [LeaderElectionModule.forRoot({ group, candidateId, url: 'memory://', ...timing }), JobsModule],
  });
}

const electionOf = (app: INestApplicationContext) => app.get(LeaderElectionService);
const gauge = (group: string, candidateId: string) =>
  telemetry
    .points(METRIC_NESTMESH_ELECTION_LEADER)
    .then((points) =>
      points
        .filter(
          (point) =>
            point.attributes['nestmesh.election.group'] === group &&
            point.attributes['nestmesh.election.candidate'] === candidateId,
        )
        .map((point) => point.value),
    );
const spansOf = (name: string, candidateId: string) =>
  telemetry
    .spans()
    .filter((span) => span.name === name && span.attributes['nestmesh.election.candidate'] === candidateId);

describe('election telemetry (memory elections in Nest apps)', { timeout: 60_000 }, () => {
  const open = new Set<INestApplicationContext>();
  after(() => telemetry.stop());
  afterEach(async () => {
    await Promise.all([...open].map((app) => app.close()));
    open.clear();
  });

  /** Two candidates of a new group, once one leads: [leader, follower]. */
  async function pair(): Promise<[INestApplicationContext, INestApplicationContext, string]> {
    const group = `telemetry-${process.pid}-${++serial}`;
    const apps = [await candidate(group, `${group}-a`), await candidate(group, `${group}-b`)];
    apps.forEach((app) => open.add(app));
    const leader = await waitFor(() => apps.find((app) => electionOf(app).isLeader), {
      timeoutMs: 10_000,
      description: 'a leader',
    });
    return [leader, apps.find((app) => app !== leader)!, group];
  }

  it('the leader’s campaign span ends with an elected event (its epoch); the gauge says 1 for it and 0 for the follower', async () => {
    const [leader, follower, group] = await pair();
    const { candidateId, leadership } = electionOf(leader);
    const [campaign] = spansOf('nestmesh.election.campaign', candidateId);
    assert.equal(campaign.parentSpanContext, undefined, 'a root span');
    assert.equal(campaign.attributes['nestmesh.election.outcome'], 'elected');
    assert.deepEqual(
      campaign.events.map((event) => [event.name, event.attributes]),
      [['nestmesh.election.elected', { 'nestmesh.election.epoch': Number(leadership!.epoch) }]],
    );
    assert.deepEqual(await gauge(group, candidateId), [1]);
    assert.deepEqual(await gauge(group, electionOf(follower).candidateId), [0]);
  });

  it('a leader-only call on a follower: counted in nestmesh.leader_only.skipped by method and told on the caller’s span', async () => {
    const [leader, follower, group] = await pair();
    const skipped = (method: string, onFollower: string) =>
      telemetry.sum(METRIC_NESTMESH_LEADER_ONLY_SKIPPED, {
        'nestmesh.election.group': group,
        'code.function.name': method,
        'nestmesh.leader_only.on_follower': onFollower,
      });
    await tracer.startActiveSpan('tick', async (span) => {
      assert.equal(await follower.get(Jobs).restock(), undefined);
      await assert.rejects(follower.get(Jobs).strict(), NotLeaderError);
      span.end();
    });
    await leader.get(Jobs).restock();
    assert.equal(leader.get(Jobs).runs, 1);
    assert.equal(follower.get(Jobs).runs, 0);
    assert.equal(await skipped('Jobs.restock', 'skip'), 1, 'the leader’s call was not counted');
    assert.equal(await skipped('Jobs.strict', 'throw'), 1);
    assert.deepEqual(
      telemetry.span('tick').events.map((event) => [event.name, event.attributes?.['code.function.name']]),
      [
        ['nestmesh.leader_only.skipped', 'Jobs.restock'],
        ['nestmesh.leader_only.skipped', 'Jobs.strict'],
      ],
    );
  });

  it('a resigning leader: its leadership span ends with revoked (resigned), no error; the follower is elected and the gauge follows', async () => {
    const [leader, follower, group] = await pair();
    const [old, next] = [electionOf(leader), electionOf(follower)];
    const epoch = old.leadership!.epoch;
    await leader.close();
    open.delete(leader);
    await waitFor(() => next.isLeader, { timeoutMs: 10_000, description: 'the follower to lead' });

    const [leadership] = spansOf('nestmesh.election.leadership', old.candidateId);
    assert.equal(leadership.status.code, SpanStatusCode.UNSET);
    assert.deepEqual(
      leadership.events.map((event) => [event.name, event.attributes]),
      [
        [
          'nestmesh.election.revoked',
          { 'nestmesh.election.epoch': Number(epoch), 'nestmesh.election.revoked.reason': 'resigned' },
        ],
      ],
    );
    assert.equal(
      leadership.links[0]?.context.spanId,
      spansOf('nestmesh.election.campaign', old.candidateId)[0].spanContext().spanId,
      'linked to the campaign that won it',
    );
    const [won] = spansOf('nestmesh.election.campaign', next.candidateId);
    assert.ok(Number(won.attributes['nestmesh.election.epoch']) > Number(epoch));
    assert.deepEqual(await gauge(group, next.candidateId), [1]);
    assert.deepEqual(await gauge(group, old.candidateId), [], 'a closed candidate is no longer reported');
  });

  it('a leader stalled past its renew deadline: revoked (unconfirmed) with an error status, and a lease loss of kind election', async () => {
    const [leader] = await pair();
    const election = electionOf(leader);
    const lost = () =>
      telemetry.sum(METRIC_NESTMESH_LEASE_LOST, {
        'nestmesh.lease.kind': 'election',
        'nestmesh.lease.lost.why': 'unconfirmed',
      });
    const before = await lost();
    stall(timing.renewDeadlineMs + 200);
    assert.equal(election.isLeader, false);
    await waitFor(() => spansOf('nestmesh.election.leadership', election.candidateId).length > 0, {
      timeoutMs: 5000,
      description: 'the leadership span to end',
    });
    const [leadership] = spansOf('nestmesh.election.leadership', election.candidateId);
    assert.equal(leadership.status.code, SpanStatusCode.ERROR);
    assert.equal(leadership.attributes['nestmesh.election.revoked.reason'], 'unconfirmed');
    assert.equal(await lost(), before + 1);
  });
});
