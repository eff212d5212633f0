// Each spec file runs in its own process: this one registers the in-memory SDK first.
import { captureTelemetry } from '@nestmesh/telemetry/testing';

import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { SpanKind, trace } from '@opentelemetry/api';
import { ReservationStatus, type StockLevel } from '@nestmesh/contracts/inventory/v1';
import { LockService } from '@nestmesh/coordination';
import { RedisLockBackend } from '@nestmesh/coordination/redis';
import { METRIC_NESTMESH_FENCING_REJECTED } from '@nestmesh/telemetry';
import { startRedis, type RedisServer } from '@nestmesh/testing';

import { StaleEpochError, StaleWriteError } from '../inventory.errors.js';
import { MemoryStockStore } from './memory-stock.store.js';
import { RedisStockStore } from './redis-stock.store.js';

const telemetry = captureTelemetry();
const tracer = trace.getTracer('stock.telemetry.spec');
after(() => telemetry.stop());

/** The store's fenced read and write with tokens the test chooses, as a stalled holder would. */
class Probe extends RedisStockStore {
  readAs(sku: string, token: bigint): Promise<StockLevel | undefined> {
    return this.readFenced(sku, token);
  }
  writeAs(token: bigint, level: StockLevel, reservationId: string): Promise<StockLevel> {
    return this.write({ token }, level, -1n, {
      reservationId,
      orderId: `order-${reservationId}`,
      sku: level.sku,
      quantity: 1n,
      status: ReservationStatus.RESERVATION_STATUS_RESERVED,
      reservedAt: new Date(),
      servedBy: 'test',
      expiresAt: undefined,
    });
  }
}

function rejections(kind: string, operation: string): Promise<number> {
  return telemetry.sum(METRIC_NESTMESH_FENCING_REJECTED, {
    'nestmesh.fencing.store': 'inventory.stock',
    'nestmesh.fencing.kind': kind,
    'nestmesh.fencing.operation': operation,
  });
}

describe('stock store telemetry (a real redis-server)', { timeout: 30_000 }, () => {
  let redis: RedisServer;
  let backend: RedisLockBackend;
  let store: Probe;
  before(async () => {
    redis = await startRedis();
    backend = new RedisLockBackend({ url: redis.url });
    store = new Probe(redis.url, new LockService(backend));
    await store.seed({ 'TEL-1': 10n, 'TEL-2': 10n });
  });
  after(async () => {
    await store?.close();
    await backend?.close();
    await redis?.stop();
  });
  beforeEach(() => telemetry.resetSpans());

  it('a store exports its nestmesh.fencing.rejected series at 0 from the start (dashboards read 0, not "no data")', async () => {
    const series = (await telemetry.points(METRIC_NESTMESH_FENCING_REJECTED)).map((point) => {
      const { attributes } = point;
      return `${String(attributes['nestmesh.fencing.kind'])} ${String(attributes['nestmesh.fencing.operation'])}`;
    });
    for (const expected of ['token read', 'token write', 'epoch read', 'epoch write']) {
      assert.ok(series.includes(expected), `${expected} in ${series.join(', ')}`);
    }
  });

  it('a reservation: the fenced read and write are CLIENT spans under the lock’s hold span, with the database conventions’ attributes', async () => {
    await tracer.startActiveSpan('reserve', async (span) => {
      await store.reserve({ orderId: 'o-tel', sku: 'TEL-1', quantity: 2n }, 'test');
      span.end();
    });
    const hold = telemetry.span('nestmesh.lock.hold');
    assert.equal(hold.parentSpanContext?.spanId, telemetry.span('reserve').spanContext().spanId);
    for (const script of ['fenced-read', 'fenced-write']) {
      const span = telemetry.span(`EVAL ${script}`);
      assert.equal(span.kind, SpanKind.CLIENT);
      assert.equal(
        span.parentSpanContext?.spanId,
        hold.spanContext().spanId,
        `${script} nests under the hold`,
      );
      assert.deepEqual(span.attributes, {
        'db.system.name': 'redis',
        'db.operation.name': 'EVAL',
        'db.query.summary': `EVAL ${script}`,
        'db.namespace': '0',
        'server.address': '127.0.0.1',
        'server.port': redis.port,
      });
      assert.deepEqual(span.events, [], 'nothing was refused');
    }
  });

  it('a stale token’s read and write are refused: each counts in nestmesh.fencing.rejected and is an event on its script span', async () => {
    const [readsBefore, writesBefore] = [
      await rejections('token', 'read'),
      await rejections('token', 'write'),
    ];
    const stale = (await store.readAs('TEL-2', 40n))!;
    await store.readAs('TEL-2', 41n); // a newer holder read: 40 may neither read nor write now
    await assert.rejects(store.writeAs(40n, stale, 'stale-write'), StaleWriteError);
    await assert.rejects(store.readAs('TEL-2', 40n), StaleWriteError);
    assert.equal(await rejections('token', 'write'), writesBefore + 1);
    assert.equal(await rejections('token', 'read'), readsBefore + 1);

    const write = telemetry.span('EVAL fenced-write');
    assert.deepEqual(
      write.events.map((event) => [event.name, event.attributes]),
      [
        [
          'nestmesh.fencing.rejected',
          {
            'nestmesh.fencing.store': 'inventory.stock',
            'nestmesh.fencing.kind': 'token',
            'nestmesh.fencing.operation': 'write',
            'nestmesh.fencing.key': 'sku:TEL-2',
            'nestmesh.fencing.value': 40,
          },
        ],
      ],
    );
    const refusedRead = telemetry
      .spans()
      .filter((span) => span.name === 'EVAL fenced-read')
      .map((span) => span.events.map((event) => event.name));
    assert.deepEqual(refusedRead, [[], [], ['nestmesh.fencing.rejected']]);
  });

  it('a replaced leader’s restock is refused by epoch at its fenced read, and counted as such', async () => {
    const before = await rejections('epoch', 'read');
    await store.restock('TEL-1', { below: 1n, to: 5n }, 7n);
    await assert.rejects(store.restock('TEL-1', { below: 1n, to: 5n }, 6n), StaleEpochError);
    assert.equal(await rejections('epoch', 'read'), before + 1);
    const reads = telemetry.spans().filter((span) => span.name === 'EVAL fenced-read');
    assert.deepEqual(
      reads.map((span) => span.events.map((event) => event.attributes?.['nestmesh.fencing.value'])),
      [[], [6]],
    );
    assert.equal(
      telemetry.spans().filter((span) => span.name === 'EVAL restock').length,
      1,
      'the refused leader never reached its write',
    );
  });
});

describe('memory stock store telemetry', { timeout: 10_000 }, () => {
  beforeEach(() => telemetry.resetSpans());

  it('an older epoch’s restock or read is counted as a fencing rejection, as an event on the caller’s span', async () => {
    const store = new MemoryStockStore({ MEM: 5n });
    const [writes, reads] = [await rejections('epoch', 'write'), await rejections('epoch', 'read')];
    await store.restock('MEM', { below: 1n, to: 5n }, 3n);
    await tracer.startActiveSpan('job', async (span) => {
      await assert.rejects(store.restock('MEM', { below: 1n, to: 5n }, 2n), StaleEpochError);
      await assert.rejects(store.level('MEM', { epoch: 1n }), StaleEpochError);
      span.end();
    });
    assert.equal(await rejections('epoch', 'write'), writes + 1);
    assert.equal(await rejections('epoch', 'read'), reads + 1);
    assert.deepEqual(
      telemetry.span('job').events.map((event) => [event.name, event.attributes?.['nestmesh.fencing.value']]),
      [
        ['nestmesh.fencing.rejected', 2],
        ['nestmesh.fencing.rejected', 1],
      ],
    );
  });
});
