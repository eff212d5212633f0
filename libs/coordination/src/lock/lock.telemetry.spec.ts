// Each spec file runs in its own process: this one registers the in-memory SDK first.
import { captureTelemetry } from '@nestmesh/telemetry/testing';

import assert from 'node:assert/strict';
import { after, beforeEach, describe, it } from 'node:test';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { ManualClock } from '@nestmesh/testing';
import {
  METRIC_NESTMESH_LEASE_LOST,
  METRIC_NESTMESH_LOCK_HELD,
  METRIC_NESTMESH_LOCK_HOLD_DURATION,
  METRIC_NESTMESH_LOCK_WAIT_DURATION,
} from '@nestmesh/telemetry';

import { LockHeldError, LockUnavailableError } from '../coordination.errors.js';
import { MemoryLockBackend } from './adapters/memory/memory.lock-backend.js';
import type { LockBackend } from './lock-backend.js';
import { LockService } from './lock.service.js';

const telemetry = captureTelemetry();
const tracer = trace.getTracer('lock.telemetry.spec');
const ttlMs = 900; // renew deadline 720 ms after the last confirmation

const waits = (outcome: string) =>
  telemetry.histogramCount(METRIC_NESTMESH_LOCK_WAIT_DURATION, { 'nestmesh.lock.outcome': outcome });
const holds = (reason: string) =>
  telemetry.histogramCount(METRIC_NESTMESH_LOCK_HOLD_DURATION, { 'nestmesh.lock.end_reason': reason });
const lost = (why: string) =>
  telemetry.sum(METRIC_NESTMESH_LEASE_LOST, {
    'nestmesh.lease.lost.why': why,
    'nestmesh.lease.kind': 'lock',
  });
const held = () => telemetry.sum(METRIC_NESTMESH_LOCK_HELD);

/** A memory backend whose renewals answer `extended` at once. */
function renewingWith(extended: boolean): LockBackend {
  const memory = new MemoryLockBackend();
  return {
    acquire: (key, owner, ttl) => memory.acquire(key, owner, ttl),
    release: (key, owner) => memory.release(key, owner),
    extend: () => Promise.resolve(extended),
  };
}

describe('lock telemetry (memory backend)', { timeout: 20_000 }, () => {
  after(() => telemetry.stop());
  beforeEach(() => telemetry.resetSpans());

  it('using(): an acquire span and a hold span under the caller’s span; the work’s spans nest under the hold', async () => {
    const locks = new LockService(new MemoryLockBackend());
    const [waitsBefore, holdsBefore] = [await waits('acquired'), await holds('released')];
    let heldInside = -1;
    let token = 0n;
    await tracer.startActiveSpan('caller', async (caller) => {
      await locks.using('sku:A', async (_signal, lock) => {
        token = lock.token;
        heldInside = await held();
        tracer.startSpan('work').end();
      });
      caller.end();
    });
    const [caller, acquire, hold, work] = [
      'caller',
      'nestmesh.lock.acquire',
      'nestmesh.lock.hold',
      'work',
    ].map((name) => telemetry.span(name));
    assert.equal(acquire.parentSpanContext?.spanId, caller.spanContext().spanId);
    assert.equal(hold.parentSpanContext?.spanId, caller.spanContext().spanId);
    assert.equal(work.parentSpanContext?.spanId, hold.spanContext().spanId, 'work runs in the hold span');
    assert.deepEqual(acquire.attributes, {
      'nestmesh.lock.key': 'sku:A',
      'nestmesh.lock.outcome': 'acquired',
      'nestmesh.lock.attempts': 1,
      'nestmesh.lock.wait_ms': acquire.attributes['nestmesh.lock.wait_ms'],
      'nestmesh.lock.fencing_token': Number(token),
    });
    assert.equal(typeof acquire.attributes['nestmesh.lock.wait_ms'], 'number');
    assert.deepEqual(hold.attributes, {
      'nestmesh.lock.key': 'sku:A',
      'nestmesh.lock.fencing_token': Number(token),
      'nestmesh.lock.end_reason': 'released',
    });
    assert.deepEqual(
      hold.events.map((event) => event.name),
      ['nestmesh.lock.released'],
    );
    assert.equal(hold.status.code, SpanStatusCode.UNSET);
    assert.equal(heldInside, 1, 'one lock held while the work runs');
    assert.equal(await held(), 0, 'and none after');
    assert.equal(await waits('acquired'), waitsBefore + 1);
    assert.equal(await holds('released'), holdsBefore + 1);
  });

  it('every acquire outcome: held-by-other, timeout, aborted and unavailable end the span with an error and count a wait each', async () => {
    const locks = new LockService(new MemoryLockBackend());
    const first = await locks.tryAcquire('busy');
    const before = await Promise.all(['held-by-other', 'timeout', 'aborted', 'unavailable'].map(waits));
    await assert.rejects(locks.tryAcquire('busy'), LockHeldError);
    await assert.rejects(locks.acquire('busy', { waitMs: 30 }), LockHeldError);
    await assert.rejects(locks.acquire('busy', { waitMs: 10_000, signal: AbortSignal.timeout(20) }));
    const down = new LockService({
      acquire: () => Promise.reject(new LockUnavailableError('k', new Error('connection refused'))),
      extend: () => Promise.resolve(false),
      release: () => Promise.resolve(),
    });
    await assert.rejects(down.tryAcquire('k'), LockUnavailableError);
    await first.release();

    const outcomes = telemetry
      .spans()
      .filter((span) => span.name === 'nestmesh.lock.acquire')
      .map((span) => [
        span.attributes['nestmesh.lock.outcome'],
        span.status.code,
        span.attributes['error.type'],
      ]);
    assert.deepEqual(outcomes, [
      ['acquired', SpanStatusCode.UNSET, undefined],
      ['held-by-other', SpanStatusCode.ERROR, 'LockHeldError'],
      ['timeout', SpanStatusCode.ERROR, 'LockHeldError'],
      // node:timers' sleep rejects with an AbortError; a check between attempts with the reason.
      ['aborted', SpanStatusCode.ERROR, outcomes[3][2] === 'TimeoutError' ? 'TimeoutError' : 'AbortError'],
      ['unavailable', SpanStatusCode.ERROR, 'LockUnavailableError'],
    ]);
    const timedOut = telemetry
      .spans()
      .find((span) => span.attributes['nestmesh.lock.outcome'] === 'timeout')!;
    assert.ok((timedOut.attributes['nestmesh.lock.attempts'] as number) >= 1);
    assert.ok((timedOut.attributes['nestmesh.lock.wait_ms'] as number) >= 30, 'it waited its waitMs');
    const unavailable = telemetry
      .spans()
      .find((span) => span.attributes['nestmesh.lock.outcome'] === 'unavailable')!;
    assert.deepEqual(
      unavailable.events.map((event) => event.name),
      ['exception'],
    );
    const after = await Promise.all(['held-by-other', 'timeout', 'aborted', 'unavailable'].map(waits));
    assert.deepEqual(
      after.map((count, index) => count - before[index]),
      [1, 1, 1, 1],
    );
    assert.equal(await held(), 0);
  });

  it('a stall past the renew deadline: the hold span gets a lease.lost event (why unconfirmed), an error status, and the lease-lost counter counts it', async () => {
    const clock = new ManualClock();
    const locks = new LockService(new MemoryLockBackend(), ttlMs, clock);
    const [lostBefore, holdsBefore] = [await lost('unconfirmed'), await holds('unconfirmed')];
    const lock = await locks.tryAcquire('stalled', { ttlMs });
    assert.equal(await held(), 1);
    clock.stall(ttlMs * 0.8);
    assert.equal(lock.held, false);
    const hold = telemetry.span('nestmesh.lock.hold');
    assert.deepEqual(
      hold.events.map((event) => [event.name, event.attributes]),
      [['nestmesh.lease.lost', { 'nestmesh.lease.lost.why': 'unconfirmed' }]],
    );
    assert.equal(hold.status.code, SpanStatusCode.ERROR);
    assert.equal(hold.attributes['nestmesh.lock.end_reason'], 'unconfirmed');
    await lock.release(); // nothing left to end: no second event, no second count
    assert.equal(telemetry.span('nestmesh.lock.hold').events.length, 1);
    assert.equal(await lost('unconfirmed'), lostBefore + 1);
    assert.equal(await holds('unconfirmed'), holdsBefore + 1);
    assert.equal(await held(), 0);
  });

  it('a renewal that finds the lease gone counts why "expired"; maxHoldMs counts "max-hold"', async () => {
    const clock = new ManualClock();
    const locks = new LockService(renewingWith(false), ttlMs, clock);
    const [expiredBefore, maxHoldBefore] = [await lost('expired'), await lost('max-hold')];
    const lock = await locks.tryAcquire('renew-refused', { ttlMs });
    await clock.advance(ttlMs / 3);
    assert.equal(lock.held, false);
    const limited = await new LockService(renewingWith(true), ttlMs, clock).tryAcquire('limited', {
      ttlMs,
      maxHoldMs: 100,
    });
    await clock.advance(100);
    assert.equal(limited.held, false);
    assert.equal(await lost('expired'), expiredBefore + 1);
    assert.equal(await lost('max-hold'), maxHoldBefore + 1);
    const reasons = telemetry
      .spans()
      .filter((span) => span.name === 'nestmesh.lock.hold')
      .map((span) => span.events.map((event) => event.attributes?.['nestmesh.lease.lost.why']));
    assert.deepEqual(reasons, [['expired'], ['max-hold']]);
    assert.equal(await held(), 0);
  });
});
