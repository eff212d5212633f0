import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { INestApplicationContext } from '@nestjs/common';
import { status as Status } from '@grpc/grpc-js';
import { EchoServiceService } from '@nestmesh/contracts/echo/v1';
import { ManualClock } from '@nestmesh/testing';

import { InvalidGrpcOptionsError, RpcError } from '../../grpc.errors.js';
import { FaultyEchoPeer, type PeerFault } from '../../test-fixtures/faulty-echo-peer.js';
import { registryOf, startEchoClient } from '../../test-fixtures/retry-peers.js';
import { MeshClientModule, type MeshClientOptions } from '../mesh-client.module.js';
import type { MeshClient } from '../typed-client.js';
import { BALANCER_CLOCK_CHANNEL_OPTION, p2cServiceConfig, type P2cSettings } from './p2c.config.js';

type Echo = MeshClient<typeof EchoServiceService>;

/** Chance from a fixed seed (a linear congruential generator): the same draws every run. */
function seededRandom(seed = 12_345): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe('p2c balancer over real gRPC', { timeout: 120_000 }, () => {
  /** The peers of the client under test. */
  let peers: FaultyEchoPeer[] = [];
  /** Everything a test started, stopped after it whatever happened. */
  let started: { apps: INestApplicationContext[]; peers: FaultyEchoPeer[] } = { apps: [], peers: [] };
  afterEach(async () => {
    await Promise.all(started.apps.map((app) => app.close()));
    for (const peer of started.peers) peer.stop();
    started = { apps: [], peers: [] };
  });

  /** Three peers with `faults`, registered in a fresh memory registry, and a mesh client of them. */
  async function start(faults: PeerFault[], client: Partial<MeshClientOptions> = {}): Promise<Echo> {
    peers = await Promise.all(faults.map((fault) => FaultyEchoPeer.start(fault)));
    started.peers.push(...peers);
    const url = await registryOf(
      'echo',
      peers.map((peer) => peer.port),
    );
    const { app, echo } = await startEchoClient(url, 'echo', client);
    started.apps.push(app);
    return echo;
  }

  /** A client whose balancer runs on `clock` with `settings` (time moves only when the test says). */
  function manualClient(faults: PeerFault[], clock: ManualClock, settings: Partial<P2cSettings>) {
    return start(faults, {
      channelOptions: {
        'grpc.service_config': JSON.stringify(p2cServiceConfig(settings)),
        [BALANCER_CLOCK_CHANNEL_OPTION]: { now: () => clock.now(), random: seededRandom() },
      },
    });
  }

  async function statusOf(call: Promise<unknown>): Promise<Status> {
    return call.then(
      () => Status.OK,
      (error: unknown) => (error instanceof RpcError ? error.status : Status.UNKNOWN),
    );
  }

  /** `count` calls, `concurrency` at a time; the statuses they ended with. */
  async function drive(echo: Echo, count: number, concurrency = 1): Promise<Status[]> {
    const statuses: Status[] = [];
    let next = 0;
    const worker = async () => {
      while (next++ < count) statuses.push(await statusOf(echo.echo({ message: 'hi', delayMs: 0 })));
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return statuses;
  }

  const callsOf = () => peers.map((peer) => peer.calls);

  it('a slow instance gets fewer calls than each fast one; round robin, selectable, does not avoid it', async () => {
    const echo = await start(['none', 'slow', 'none']);
    await drive(echo, 30, 3); // warm-up: every instance answered a few calls
    for (const peer of peers) peer.calls = 0;
    await drive(echo, 300, 4);
    const [fastA, slow, fastB] = callsOf() as [number, number, number];
    // Round robin would give each a third; p2c sends the slow one its probes and little else.
    assert.ok(slow * 2 < Math.min(fastA, fastB), `calls: fast ${fastA}, slow ${slow}, fast ${fastB}`);

    const roundRobin = await start(['none', 'slow', 'none'], { balancer: 'round_robin' });
    await drive(roundRobin, 60, 3);
    const evenly = callsOf();
    assert.ok(evenly[1] * 2 >= Math.min(evenly[0], evenly[2]), `round robin calls: ${evenly.join(', ')}`);
  });

  it('a failing instance is ejected (no calls reach it), then readmitted after a doubling back-off', async () => {
    const clock = new ManualClock();
    const settings = { failuresToEject: 3, baseEjectionMs: 1_000, maxEjectionMs: 8_000, probeAfterMs: 100 };
    const echo = await manualClient(['none', 'unavailable', 'none'], clock, settings);
    const failing = () => peers[1].calls;

    const first = await drive(echo, 60);
    assert.equal(failing(), 3, 'ejected at its third failure in a row');
    assert.ok(
      first.slice(-30).every((code) => code === Status.OK),
      'the calls after the ejection all succeed',
    );
    await expectEjected(echo, clock, 1_000, 3);

    // Readmitted, it is probed; a failed probe makes it dear, so it sees only probes (one per
    // probeAfterMs) until its third failure in a row ejects it again, for twice as long.
    for (let round = 0; round < 10 && failing() < 6; round++) {
      clock.stall(settings.probeAfterMs);
      await drive(echo, 10);
    }
    assert.equal(failing(), 6, 'readmitted, probed, and ejected again at its third failure');
    await expectEjected(echo, clock, 2_000, 6);
  });

  /** No call reaches the failing peer for `durationMs`, then it is called again. */
  async function expectEjected(echo: Echo, clock: ManualClock, durationMs: number, calls: number) {
    clock.stall(durationMs - 1);
    assert.ok((await drive(echo, 30)).every((code) => code === Status.OK));
    assert.equal(peers[1].calls, calls, `no call reaches it during the ${durationMs} ms ejection`);
    clock.stall(1);
    await drive(echo, 30);
    assert.ok(peers[1].calls > calls, `readmitted after ${durationMs} ms`);
  }

  it('an instance answering NOT_FOUND is never ejected', async () => {
    const clock = new ManualClock();
    const echo = await manualClient(['none', 'not_found', 'none'], clock, { failuresToEject: 3 });
    const statuses = await drive(echo, 90);
    const notFound = statuses.filter((code) => code === Status.NOT_FOUND).length;
    assert.equal(notFound, peers[1].calls);
    assert.ok(notFound > 3 * 5, `it kept its share: ${notFound} of 90 calls`);
    const lastThird = statuses.slice(60).filter((code) => code === Status.NOT_FOUND).length;
    assert.ok(lastThird > 0, 'still called at the end');
  });

  it('with three instances at most one is ejected at once, however many fail', async () => {
    const clock = new ManualClock();
    const echo = await manualClient(['unavailable', 'unavailable', 'none'], clock, { failuresToEject: 3 });
    await drive(echo, 90);
    const [first, second, healthy] = callsOf() as [number, number, number];
    // One was ejected at its third failure; the other, refused the ejection, keeps its calls.
    assert.equal(Math.min(first, second), 3, `calls: ${first}, ${second}, ${healthy}`);
    assert.ok(Math.max(first, second) > 3 * 3, `calls: ${first}, ${second}, ${healthy}`);
  });

  it('refuses an unknown balancer when the module is built', () => {
    assert.throws(
      () =>
        MeshClientModule.register({
          service: 'echo',
          definition: EchoServiceService,
          balancer: 'least_request' as 'p2c',
        }),
      (error: unknown) => error instanceof InvalidGrpcOptionsError && error.option === 'balancer',
    );
  });
});
