import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { status as Status } from '@grpc/grpc-js';

import { Started, statusOf, totalCalls } from '../../test-fixtures/retry-peers.js';
import { BALANCER_CLOCK_CHANNEL_OPTION } from '../balancers/p2c.config.js';
import { DEFAULT_SERVICE_CONFIG } from '../mesh-client.constants.js';

const request = { message: 'hello', delayMs: 0 };

describe('retries over real gRPC, faults injected server-side', { timeout: 120_000 }, () => {
  const started = new Started();
  afterEach(() => started.stop());

  it('retries UNAVAILABLE on another instance than the one that failed: every call succeeds', async () => {
    const {
      peers: [failing, ...healthy],
      echo,
    } = await started.peersAndClient(['unavailable', 'none', 'none'], {
      // grpc-js' throttle off: this test is about where a retry goes, not how many are allowed.
      retry: { throttling: false },
    });
    const calls = 20;
    for (let call = 0; call < calls; call++) assert.equal(await statusOf(echo.echo(request)), Status.OK);
    // p2c finds the failing instance cheap (it answers at once, and a few failures barely
    // move a 1 s average), so it is tried; the retry must then go elsewhere, or all three
    // attempts of a call could fail there.
    assert.ok(failing.calls >= 1, 'the failing instance was never tried: the test proves nothing');
    assert.ok(
      failing.calls <= calls,
      `the failing instance got ${failing.calls} attempts for ${calls} calls`,
    );
    assert.equal(totalCalls(healthy), calls);
  });

  it('does not retry a method not marked idempotent on DEADLINE_EXCEEDED: the server saw one call', async () => {
    const { peers, echo } = await started.peersAndClient(['deadline_exceeded', 'deadline_exceeded'], {
      retry: { idempotentCodes: ['UNAVAILABLE', 'DEADLINE_EXCEEDED'] },
    });
    assert.equal(await statusOf(echo.echo(request)), Status.DEADLINE_EXCEEDED);
    assert.equal(totalCalls(peers), 1);
  });

  it('retries an idempotent method on its broader codes, up to maxAttempts', async () => {
    const deadline = await started.peersAndClient(['deadline_exceeded', 'deadline_exceeded'], {
      idempotentMethods: ['Echo'],
      retry: { idempotentCodes: ['UNAVAILABLE', 'DEADLINE_EXCEEDED'] },
    });
    assert.equal(await statusOf(deadline.echo.echo(request)), Status.DEADLINE_EXCEEDED);
    assert.equal(totalCalls(deadline.peers), 3);
    // ABORTED is among the default idempotent codes, and the default maxAttempts is 3.
    const aborted = await started.peersAndClient(['aborted', 'aborted'], { idempotentMethods: ['echo'] });
    assert.equal(await statusOf(aborted.echo.echo(request)), Status.ABORTED);
    assert.equal(totalCalls(aborted.peers), 3);
    const notMarked = await started.peersAndClient(['aborted', 'aborted']);
    assert.equal(await statusOf(notMarked.echo.echo(request)), Status.ABORTED);
    assert.equal(totalCalls(notMarked.peers), 1);
  });

  it('holds the retry budget under a total outage: attempts ≤ calls × (1 + ratio) + floor', async () => {
    const budget = { ratio: 0.2, minRetriesPerSecond: 1, windowMs: 10_000 };
    const floor = (budget.minRetriesPerSecond * budget.windowMs) / 1000;
    const { peers, echo } = await started.peersAndClient(['unavailable', 'unavailable', 'unavailable'], {
      // grpc-js' throttle off: the budget alone must hold. Five attempts a call without it.
      retry: { maxAttempts: 5, initialBackoffMs: 1, maxBackoffMs: 2, throttling: false, budget },
      // The breaker off too: it would keep most calls from being sent at all.
      circuitBreaker: false,
      // Time stands still: the window never slides during the test, whatever the machine's load.
      channelOptions: { [BALANCER_CLOCK_CHANNEL_OPTION]: { now: () => 1_000, random: Math.random } },
    });
    const calls = 50;
    for (let batch = 0; batch < calls / 10; batch++) {
      const statuses = await Promise.all(Array.from({ length: 10 }, () => statusOf(echo.echo(request))));
      assert.ok(statuses.every((status) => status === Status.UNAVAILABLE));
    }
    const attempts = totalCalls(peers);
    assert.ok(attempts > calls, `no call was retried (${attempts} attempts): the floor allows ${floor}`);
    assert.ok(
      attempts <= calls * (1 + budget.ratio) + floor,
      `${attempts} attempts for ${calls} calls exceed the budget (${calls * (1 + budget.ratio) + floor})`,
    );
  });

  it('a grpc.service_config given in channelOptions wins: no retry policy, no retries', async () => {
    const { peers, echo } = await started.peersAndClient(['unavailable', 'unavailable'], {
      channelOptions: { 'grpc.service_config': JSON.stringify(DEFAULT_SERVICE_CONFIG) },
    });
    assert.equal(await statusOf(echo.echo(request)), Status.UNAVAILABLE);
    assert.equal(totalCalls(peers), 1);
  });

  it('retry: false sends each call once', async () => {
    const { peers, echo } = await started.peersAndClient(['unavailable', 'unavailable'], { retry: false });
    assert.equal(await statusOf(echo.echo(request)), Status.UNAVAILABLE);
    assert.equal(totalCalls(peers), 1);
  });
});
