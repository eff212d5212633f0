import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { status as Status } from '@grpc/grpc-js';
import { EchoServiceService } from '@nestmesh/contracts/echo/v1';
import { waitFor } from '@nestmesh/testing';

import { InvalidGrpcOptionsError } from '../../grpc.errors.js';
import type { FaultyEchoPeer } from '../../test-fixtures/faulty-echo-peer.js';
import { Started, statusOf, type Echo } from '../../test-fixtures/retry-peers.js';
import { MeshClientModule } from '../mesh-client.module.js';

/**
 * A first attempt waits this long, far beyond the calls' deadline: a call that succeeds was
 * answered by a hedge. No timing is measured, so a loaded machine changes nothing.
 */
const FIRST_ATTEMPT_MS = 120_000;
const TIMEOUT_MS = 15_000;
const request = { message: 'hedged', delayMs: 0 };

/** Calls until every peer answered one (both connections up and scored), then zeroes the counts. */
async function warmUp(echo: Echo, peers: readonly FaultyEchoPeer[]): Promise<void> {
  await waitFor(async () => {
    await echo.echo(request);
    return peers.every((peer) => peer.calls > 0);
  });
  for (const peer of peers) {
    peer.calls = 0;
    peer.slowMs = FIRST_ATTEMPT_MS;
    peer.fault = 'slow_first_attempt';
  }
}

describe('hedging over real gRPC', { timeout: 120_000 }, () => {
  const started = new Started();
  afterEach(() => started.stop());

  it('sends a second attempt after delayMs to another instance and returns its answer', async () => {
    const { peers, echo } = await started.peersAndClient(['none', 'none'], {
      idempotentMethods: ['Echo'],
      hedging: { methods: ['Echo'], delayMs: 20 },
      timeoutMs: TIMEOUT_MS,
    });
    await warmUp(echo, peers);
    // Its own message: a warm-up call's hedge may still land (late, cancelled) on a loaded machine.
    const measured = { ...request, message: 'hedged, measured' };
    assert.equal(await statusOf(echo.echo(measured)), Status.OK);
    // One attempt each: the hedge went to the instance that was not holding the slow one.
    assert.deepEqual(
      peers.map((peer) => peer.echoes.get(measured.message) ?? 0),
      [1, 1],
    );
  });

  it('counts hedges against the retry budget: with none, no hedge is sent', async () => {
    const { peers, echo } = await started.peersAndClient(['none', 'none'], {
      idempotentMethods: ['Echo'],
      hedging: { methods: ['Echo'], delayMs: 20 },
      retry: { budget: { ratio: 0, minRetriesPerSecond: 0 } },
      timeoutMs: TIMEOUT_MS,
    });
    await warmUp(echo, peers);
    const measured = { ...request, message: 'not hedged, measured' };
    assert.equal(await statusOf(echo.echo(measured, { timeoutMs: 1_000 })), Status.DEADLINE_EXCEEDED);
    assert.equal(
      peers.reduce((sum, peer) => sum + (peer.echoes.get(measured.message) ?? 0), 0),
      1,
    );
  });

  it('is refused at startup for a method not marked idempotent', () => {
    assert.throws(
      () =>
        MeshClientModule.register({
          service: 'echo',
          definition: EchoServiceService,
          hedging: { methods: ['Echo'], delayMs: 20 },
        }),
      (error: unknown) => error instanceof InvalidGrpcOptionsError && error.option === 'hedging.methods',
    );
  });
});
