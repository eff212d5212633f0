import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { status as Status } from '@grpc/grpc-js';
import { EchoServiceService } from '@nestmesh/contracts/echo/v1';
import { ManualClock } from '@nestmesh/testing';

import { InvalidGrpcOptionsError, RpcError } from '../../grpc.errors.js';
import {
  collectOnce,
  drive,
  echoOnce,
  expandOnce,
  rejectedOf,
  seededRandom,
} from '../../test-fixtures/breaker-outcomes.js';
import { startFaultyEchoMesh, type FaultyEchoMesh } from '../../test-fixtures/faulty-echo-mesh.js';
import type { PeerFault } from '../../test-fixtures/faulty-echo-peer.js';
import { MeshClientModule, type MeshClientOptions } from '../mesh-client.module.js';
import { CIRCUIT_BREAKER_ERROR_DOMAIN, CIRCUIT_BREAKER_OPEN_REASON } from './circuit-breaker.js';
import type { CircuitBreakerOptions } from './circuit-breaker.config.js';

/** Retries UNAVAILABLE up to 3 attempts in grpc-js, round robin: what a breaker must sit above. */
const MAX_ATTEMPTS = 3;
const RETRYING_SERVICE_CONFIG = JSON.stringify({
  loadBalancingConfig: [{ round_robin: {} }],
  methodConfig: [
    {
      name: [{ service: 'echo.v1.EchoService' }],
      retryPolicy: {
        maxAttempts: MAX_ATTEMPTS,
        initialBackoff: '0.001s',
        maxBackoff: '0.001s',
        backoffMultiplier: 1,
        retryableStatusCodes: ['UNAVAILABLE'],
      },
    },
  ],
});

describe('circuit breaker over real gRPC', { timeout: 120_000 }, () => {
  let started: FaultyEchoMesh[] = [];
  let mesh: FaultyEchoMesh;
  afterEach(async () => {
    await Promise.all(started.map((each) => each.close()));
    started = [];
  });

  /** Three peers with `fault` and a mesh client of them, the current `mesh`. */
  async function start(fault: PeerFault, client: Partial<MeshClientOptions> = {}) {
    mesh = await startFaultyEchoMesh([fault, fault, fault], client);
    started.push(mesh);
    return mesh.echo;
  }

  /** A client whose breaker runs on `clock` and seeded draws, with grpc-js retrying UNAVAILABLE below it. */
  function manualClient(fault: PeerFault, clock: ManualClock, settings: CircuitBreakerOptions = {}) {
    const random = seededRandom();
    return start(fault, {
      circuitBreaker: { ...settings, clock: { now: () => clock.now(), random } },
      channelOptions: { 'grpc.service_config': RETRYING_SERVICE_CONFIG },
    });
  }

  const serverCalls = () => mesh.serverCalls();

  it('a service failing UNAVAILABLE everywhere: past minRequests calls are rejected locally, at once, never sent nor retried', async () => {
    const clock = new ManualClock();
    const minRequests = 20;
    const concurrency = 4;
    const echo = await manualClient('unavailable', clock, { minRequests });
    const outcomes = await drive(() => echoOnce(echo), 400, concurrency);

    assert.ok(outcomes.every((outcome) => outcome.status === Status.UNAVAILABLE));
    const admitted = outcomes.length - rejectedOf(outcomes);
    // Before minRequests statuses are in, nothing is rejected (the calls in flight then are let
    // through too); after, a call goes out with chance 1/(requests + 1) as no call is accepted.
    assert.ok(admitted >= minRequests, `admitted ${admitted}`);
    assert.ok(admitted <= minRequests + concurrency + 40, `admitted ${admitted} of 400`);
    // Each call let through made at most MAX_ATTEMPTS attempts; a rejected one none at all.
    assert.ok(
      serverCalls() >= admitted && serverCalls() <= MAX_ATTEMPTS * admitted,
      `server calls ${serverCalls()}`,
    );

    const rejection = outcomes.find((outcome) => outcome.rejected)?.error;
    assert.ok(rejection);
    assert.match(
      rejection.details,
      /^circuit breaker open for echo\.v1\.EchoService\/Echo: \d+ % of calls rejected locally \(0 of \d+ calls accepted in the last 10000 ms\)$/,
    );
    assert.equal(rejection.method, '/echo.v1.EchoService/Echo');
    assert.deepEqual(rejection.richDetails.errorInfo, {
      reason: CIRCUIT_BREAKER_OPEN_REASON,
      domain: CIRCUIT_BREAKER_ERROR_DOMAIN,
      metadata: { service: 'echo', method: 'echo.v1.EchoService/Echo' },
    });
    assert.deepEqual(rejection.metadata.get('grpc-retry-pushback-ms'), ['-1'], 'a "do not retry" pushback');

    // Cancelled before its status arrives, a call ends CANCELLED, whether it was rejected or not.
    const cancelled = await Promise.all(
      Array.from({ length: 20 }, () => {
        const controller = new AbortController();
        const call = echo.echo({ message: 'hi', delayMs: 0 }, { signal: controller.signal });
        controller.abort();
        return call.then(
          () => Status.OK,
          (error: unknown) => (error instanceof RpcError ? error.status : Status.UNKNOWN),
        );
      }),
    );
    assert.deepEqual(new Set(cancelled), new Set([Status.CANCELLED]));
  });

  it('calls flow again once the service answers, ramping up as accepts come back', async () => {
    const clock = new ManualClock();
    const windowMs = 1_000;
    const echo = await manualClient('unavailable', clock, { windowMs, buckets: 10, minRequests: 20 });
    await drive(() => echoOnce(echo), 200, 4);
    for (const peer of mesh.peers) peer.fault = 'none';

    // 100 calls a second of the breaker's time, in steps of 10 calls every 100 ms, until a
    // whole window passes without a rejection. Rejected calls count as requests, so the
    // outage is forgotten only as accepts outweigh them: allow 20 windows.
    const stepMs = windowMs / 10;
    const before = serverCalls();
    const rejectedBySteps: number[] = [];
    let admitted = 0;
    const cleanWindow = () =>
      rejectedBySteps.length >= 10 && rejectedBySteps.slice(-10).every((count) => count === 0);
    while (!cleanWindow() && rejectedBySteps.length < 20 * 10) {
      clock.stall(stepMs);
      const outcomes = await drive(() => echoOnce(echo), 10);
      const rejected = rejectedOf(outcomes);
      assert.ok(outcomes.every((outcome) => outcome.status === Status.OK || outcome.rejected));
      rejectedBySteps.push(rejected);
      admitted += outcomes.length - rejected;
    }
    assert.ok(cleanWindow(), `rejections by step: ${rejectedBySteps.join(' ')}`);
    assert.ok(
      (rejectedBySteps[0] ?? 0) >= 8,
      `the first step after the outage is still throttled: ${rejectedBySteps[0]}`,
    );
    assert.equal(
      serverCalls() - before,
      admitted,
      'every call let through reached a server once; no rejected one did',
    );
  });

  it('application errors never trip it: NOT_FOUND from every instance reaches the caller every time', async () => {
    const clock = new ManualClock();
    const echo = await manualClient('not_found', clock, { minRequests: 5 });
    const outcomes = await drive(() => echoOnce(echo), 200, 4);
    assert.ok(outcomes.every((outcome) => outcome.status === Status.NOT_FOUND && !outcome.rejected));
    assert.equal(serverCalls(), 200);
  });

  it('keeps one state per method; a server stream is rejected like a unary call', async () => {
    const clock = new ManualClock();
    const echo = await manualClient('unavailable', clock, { minRequests: 20 });
    assert.ok(rejectedOf(await drive(() => echoOnce(echo), 100)) > 50, 'Echo is throttled');

    const streams = await drive(() => expandOnce(echo), 100);
    assert.ok(streams.every((outcome) => outcome.status === Status.UNAVAILABLE));
    assert.equal(rejectedOf(streams.slice(0, 20)), 0, 'Expand has its own state: its first 20 calls go out');
    assert.ok(rejectedOf(streams) > 50, `then it is throttled too: ${rejectedOf(streams)} of 100 rejected`);
    assert.match(streams.find((outcome) => outcome.rejected)?.error?.details ?? '', /EchoService\/Expand/);
  });

  it('a client stream is rejected at once too, its requests going nowhere', async () => {
    const clock = new ManualClock();
    const echo = await manualClient('unavailable', clock, { minRequests: 20 });
    const outcomes = await drive(() => collectOnce(echo), 100, 4);
    assert.ok(outcomes.every((outcome) => outcome.status === Status.UNAVAILABLE));
    const admitted = outcomes.length - rejectedOf(outcomes);
    assert.ok(rejectedOf(outcomes) > 50, `rejected ${rejectedOf(outcomes)} of 100`);
    assert.ok(
      serverCalls() <= MAX_ATTEMPTS * admitted,
      `server calls ${serverCalls()}, admitted ${admitted}`,
    );
  });

  it('is on by default, and circuitBreaker: false sends every call', async () => {
    const byDefault = await start('unavailable');
    const defaultOutcomes = await drive(() => echoOnce(byDefault), 200, 4);
    assert.ok(
      rejectedOf(defaultOutcomes) > 100,
      `rejected by default: ${rejectedOf(defaultOutcomes)} of 200`,
    );

    const off = await start('unavailable', { circuitBreaker: false });
    const offOutcomes = await drive(() => echoOnce(off), 200, 4);
    assert.equal(rejectedOf(offOutcomes), 0);
    assert.ok(serverCalls() >= 200, `every call reached a server: ${serverCalls()}`);
  });

  it('refuses bad settings when the module is built', () => {
    assert.throws(
      () =>
        MeshClientModule.register({
          service: 'echo',
          definition: EchoServiceService,
          circuitBreaker: { k: 0 },
        }),
      (error: unknown) => error instanceof InvalidGrpcOptionsError && error.option === 'circuitBreaker.k',
    );
  });
});
