// Each spec file runs in its own process: this one registers the in-memory SDK first.
import { captureTelemetry } from '@nestmesh/telemetry/testing';

import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import {
  METRIC_NESTMESH_LEASE_LOST,
  METRIC_NESTMESH_LOCK_HELD,
  METRIC_NESTMESH_LOCK_HOLD_DURATION,
  METRIC_NESTMESH_LOCK_WAIT_DURATION,
} from '@nestmesh/telemetry';
import { redactUrl } from '@nestmesh/common';
import { startRedis, waitFor, type RedisServer } from '@nestmesh/testing';

import { LockHeldError, LockUnavailableError } from '../coordination.errors.js';
import { RedisLockBackend } from './adapters/redis/redis.lock-backend.js';
import { RedlockBackend } from './adapters/redis/redlock.lock-backend.js';
import type { LockBackend } from './lock-backend.js';
import { LockService } from './lock.service.js';
import { stall } from './testing/stall.js';

const telemetry = captureTelemetry();
const tracer = trace.getTracer('redis-lock.telemetry.spec');

type Event = { name: string; attributes?: Record<string, unknown> };
const nodeEvents = (events: Event[]) =>
  events
    .filter((event) => event.name === 'nestmesh.redlock.node')
    .map((event) => [
      event.attributes?.['nestmesh.redlock.node'],
      event.attributes?.['nestmesh.redlock.operation'],
      event.attributes?.['nestmesh.redlock.outcome'],
    ]);

describe('lock telemetry on a real redis-server', { timeout: 60_000 }, () => {
  let redis: RedisServer;
  let backend: RedisLockBackend;
  let locks: LockService;
  before(async () => {
    redis = await startRedis();
    backend = new RedisLockBackend({ url: redis.url });
    locks = new LockService(backend);
  });
  after(async () => {
    await backend?.close();
    await redis?.stop();
  });
  beforeEach(() => telemetry.resetSpans());

  it('five locked sections: five acquire and five hold spans under the caller, the wait and hold histograms count exactly five, none held after', async () => {
    const [waitsBefore, holdsBefore] = await Promise.all([
      telemetry.histogramCount(METRIC_NESTMESH_LOCK_WAIT_DURATION, { 'nestmesh.lock.outcome': 'acquired' }),
      telemetry.histogramCount(METRIC_NESTMESH_LOCK_HOLD_DURATION, {
        'nestmesh.lock.end_reason': 'released',
      }),
    ]);
    const tokens: bigint[] = [];
    await tracer.startActiveSpan('caller', async (caller) => {
      for (let i = 0; i < 5; i++) await locks.using('sku:R', (_signal, lock) => void tokens.push(lock.token));
      caller.end();
    });
    const callerId = telemetry.span('caller').spanContext().spanId;
    const holds = telemetry.spans().filter((span) => span.name === 'nestmesh.lock.hold');
    const acquires = telemetry.spans().filter((span) => span.name === 'nestmesh.lock.acquire');
    assert.deepEqual(
      holds.map((span) => span.attributes['nestmesh.lock.fencing_token']),
      tokens.map(Number),
    );
    assert.deepEqual(
      acquires.map((span) => span.attributes['nestmesh.lock.fencing_token']),
      tokens.map(Number),
    );
    for (const span of [...holds, ...acquires]) assert.equal(span.parentSpanContext?.spanId, callerId);
    assert.equal(
      await telemetry.histogramCount(METRIC_NESTMESH_LOCK_WAIT_DURATION, {
        'nestmesh.lock.outcome': 'acquired',
      }),
      waitsBefore + 5,
    );
    assert.equal(
      await telemetry.histogramCount(METRIC_NESTMESH_LOCK_HOLD_DURATION, {
        'nestmesh.lock.end_reason': 'released',
      }),
      holdsBefore + 5,
    );
    assert.equal(await telemetry.sum(METRIC_NESTMESH_LOCK_HELD), 0);
  });

  it('a holder stalled past its renew deadline (the thread blocked, as by GC or SIGSTOP): lease.lost on the hold span and in the counter', async () => {
    const ttlMs = 1000; // renew deadline 800 ms
    const lostBefore = await telemetry.sum(METRIC_NESTMESH_LEASE_LOST, {
      'nestmesh.lease.lost.why': 'unconfirmed',
    });
    const lock = await locks.acquire('stalled', { ttlMs, waitMs: 5000 });
    stall(ttlMs);
    assert.equal(lock.held, false);
    const hold = telemetry.span('nestmesh.lock.hold');
    assert.equal(hold.status.code, SpanStatusCode.ERROR);
    assert.deepEqual(
      hold.events.map((event) => [event.name, event.attributes]),
      [['nestmesh.lease.lost', { 'nestmesh.lease.lost.why': 'unconfirmed' }]],
    );
    assert.equal(
      await telemetry.sum(METRIC_NESTMESH_LEASE_LOST, { 'nestmesh.lease.lost.why': 'unconfirmed' }),
      lostBefore + 1,
    );
    assert.equal(await telemetry.sum(METRIC_NESTMESH_LOCK_HELD), 0);
  });
});

describe('Redlock node outcomes as span events (3 real redis-servers)', { timeout: 60_000 }, () => {
  let nodes: RedisServer[];
  let redlock: RedlockBackend;
  let extends_ = 0;
  let locks: LockService;
  before(async () => {
    nodes = await Promise.all([startRedis(), startRedis(), startRedis()]);
    // A slow node is a failed node at the default 100 ms; this machine is shared and loaded.
    redlock = new RedlockBackend({ urls: nodes.map((node) => node.url), commandTimeoutMs: 1000 });
    const counting: LockBackend = {
      acquire: (key, owner, ttlMs) => redlock.acquire(key, owner, ttlMs),
      release: (key, owner) => redlock.release(key, owner),
      extend: async (key, owner, ttlMs) => {
        try {
          return await redlock.extend(key, owner, ttlMs);
        } finally {
          extends_++;
        }
      },
    };
    locks = new LockService(counting);
  });
  after(async () => {
    await redlock?.close();
    await Promise.all((nodes ?? []).map((node) => node.stop()));
  });
  beforeEach(() => telemetry.resetSpans());

  it('an acquire span carries each node’s answer: granted by all three, then held on all three for another owner', async () => {
    const names = nodes.map((node) => redactUrl(node.url));
    const first = await locks.tryAcquire('quorum');
    await assert.rejects(locks.tryAcquire('quorum'), LockHeldError);
    await first.release();
    const [granted, refused] = telemetry.spans().filter((span) => span.name === 'nestmesh.lock.acquire');
    assert.deepEqual(
      nodeEvents(granted.events),
      names.map((name) => [name, 'acquire', 'granted']),
    );
    assert.deepEqual(
      nodeEvents(refused.events),
      names.map((name) => [name, 'acquire', 'held']),
    );
  });

  it('one node down: its failure is an event with the error on the acquire span, and a renewal’s on the hold span; two down: unavailable', async () => {
    const names = nodes.map((node) => redactUrl(node.url));
    await nodes[0].kill();
    const lock = await locks.tryAcquire('degraded', { ttlMs: 600 });
    const renewals = extends_;
    await waitFor(() => extends_ > renewals, { timeoutMs: 10_000, description: 'a renewal' });
    await lock.release();
    await nodes[1].kill();
    await assert.rejects(locks.tryAcquire('degraded'), LockUnavailableError);

    const [acquired, unavailable] = telemetry.spans().filter((span) => span.name === 'nestmesh.lock.acquire');
    assert.deepEqual(nodeEvents(acquired.events), [
      [names[0], 'acquire', 'failed'],
      [names[1], 'acquire', 'granted'],
      [names[2], 'acquire', 'granted'],
    ]);
    const failure = acquired.events.find(
      (event) => event.attributes?.['nestmesh.redlock.outcome'] === 'failed',
    )!;
    assert.equal(typeof failure.attributes?.['nestmesh.redlock.error'], 'string');
    const hold = telemetry.span('nestmesh.lock.hold');
    assert.ok(nodeEvents(hold.events).length > 0, 'the renewal told of the failed node');
    for (const event of nodeEvents(hold.events)) assert.deepEqual(event, [names[0], 'extend', 'failed']);
    assert.equal(unavailable.attributes['nestmesh.lock.outcome'], 'unavailable');
    assert.deepEqual(
      nodeEvents(unavailable.events).filter(([, operation]) => operation === 'acquire'),
      [
        [names[0], 'acquire', 'failed'],
        [names[1], 'acquire', 'failed'],
        [names[2], 'acquire', 'granted'],
      ],
    );
  });
});
