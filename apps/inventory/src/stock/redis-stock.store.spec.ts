import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ReservationStatus, type Reservation, type StockLevel } from '@nestmesh/contracts/inventory/v1';
import { LockService, MemoryLockBackend } from '@nestmesh/coordination';
import { startRedis, type RedisServer } from '@nestmesh/testing';

import { StaleWriteError } from '../inventory.errors.js';
import { RedisStockStore } from './redis-stock.store.js';

/** The store's fenced read and write, with tokens the test chooses. */
class Probe extends RedisStockStore {
  readAs(sku: string, token: bigint): Promise<StockLevel | undefined> {
    return this.readFenced(sku, token);
  }
  writeAs(token: bigint, level: StockLevel, delta: bigint, reservationId: string): Promise<StockLevel> {
    return this.write({ token }, level, delta, reservation(level.sku, -delta, reservationId));
  }

  /** When set, a holder of this newer token reads the SKU right after the store's own read. */
  newerReader: bigint | undefined;
  protected override async readFenced(sku: string, token?: bigint, epoch?: bigint) {
    const level = await super.readFenced(sku, token, epoch);
    const newer = this.newerReader;
    this.newerReader = undefined;
    if (newer !== undefined) await super.readFenced(sku, newer);
    return level;
  }
}

function reservation(sku: string, quantity: bigint, reservationId: string): Reservation {
  return {
    reservationId,
    orderId: `order-${reservationId}`,
    sku,
    quantity,
    status: ReservationStatus.RESERVATION_STATUS_RESERVED,
    reservedAt: new Date(),
    servedBy: 'test',
    expiresAt: undefined,
  };
}

describe('RedisStockStore fences reads as well as writes (a real redis-server)', { timeout: 30_000 }, () => {
  let redis: RedisServer;
  let store: Probe;
  before(async () => {
    redis = await startRedis();
    store = new Probe(redis.url, new LockService(new MemoryLockBackend()));
    await store.seed({ 'FENCE-1': 10n });
  });
  after(async () => {
    await store?.close();
    await redis?.stop();
  });

  // Holder A (token 33) reads 10 and stalls past its lease; B (token 34) takes the lock and
  // reads 10; A resumes and writes 10 − 3. With write-only fencing that write is accepted (no
  // token above 33 has written yet), and B's 10 − 5 then lands on top: 3 reserved units lost.
  it('a stalled holder’s write after a newer holder’s read is refused, so the newer holder’s read-modify-write stands', async () => {
    const readByA = (await store.readAs('FENCE-1', 33n))!;
    const readByB = (await store.readAs('FENCE-1', 34n))!;
    assert.equal(readByA.available, 10n);
    assert.equal(readByB.available, 10n);
    await assert.rejects(store.writeAs(33n, readByA, -3n, 'from-a'), (error: unknown) => {
      assert.ok(error instanceof StaleWriteError);
      assert.equal(error.token, 33n);
      return true;
    });
    await store.writeAs(34n, readByB, -5n, 'from-b');
    const level = (await store.level('FENCE-1'))!;
    assert.deepEqual([level.available, level.reserved], [5n, 5n], 'only B’s update, none lost');
    assert.equal(
      await store.redis.exists('nestmesh:inventory:reservation:from-a'),
      0,
      'A left no reservation',
    );
    await assert.rejects(store.readAs('FENCE-1', 33n), (error: unknown) => {
      assert.ok(error instanceof StaleWriteError);
      assert.equal(error.operation, 'read');
      return true;
    });
    assert.equal(await store.readAs('NOPE', 99n), undefined, 'an unknown SKU reads as undefined');
    assert.equal(await store.redis.exists('nestmesh:inventory:sku:{NOPE}'), 0, 'and is not created');
  });

  // ImportStock's add is a read-modify-write too: a holder whose lease lapsed between its read
  // and its ADD must not add on top of a level a newer holder has read.
  it('add by a holder a newer one has overtaken is refused, and adds nothing', async () => {
    await store.seed({ 'FENCE-2': 10n });
    store.newerReader = 1_000_000n;
    await assert.rejects(store.add('FENCE-2', 4n), (error: unknown) => {
      assert.ok(error instanceof StaleWriteError);
      assert.equal(error.operation, 'write');
      return true;
    });
    assert.equal((await store.level('FENCE-2'))!.available, 10n, 'nothing added');
  });
});
