import { Logger } from '@nestjs/common';
import { ReservationStatus, type Reservation, type StockLevel } from '@nestmesh/contracts/inventory/v1';
import type { LockHandle, LockService } from '@nestmesh/coordination';
import { Redis } from 'ioredis';

import {
  StaleEpochError,
  StaleWriteError,
  StockUnavailableError,
  UnknownReservationError,
  UnknownSkuError,
} from '../inventory.errors.js';
import { reserveAgainst, validateReserveInput } from './reservation.js';
import type { ReleaseTarget, ReserveInput, RestockPolicy, StockStore } from './stock.store.js';

const PREFIX = 'nestmesh:inventory:';
const CHANGES = `${PREFIX}changes`;

// Writes a SKU's level only if the writer's fencing token is at least the last one the SKU
// accepted: a holder whose lease ran out (paused, partitioned) cannot overwrite newer stock.
// The reservation that caused the change is written in the same script, so stock and
// reservations never disagree, whatever fails in between.
const FENCED_WRITE = `
local last = tonumber(redis.call('HGET', KEYS[1], 'fence') or '0')
if tonumber(ARGV[1]) < last then return 0 end
redis.call('HSET', KEYS[1], 'fence', ARGV[1], 'available', ARGV[2], 'reserved', ARGV[3], 'version', ARGV[4], 'updatedAt', ARGV[5])
redis.call('SET', KEYS[2], ARGV[6])
redis.call('SADD', KEYS[3], ARGV[7])
return 1`;

// A restock: fenced twice. The SKU lock's token (as for every write to a SKU) and the
// leadership epoch of the job, kept in one key for all SKUs: an older epoch than the last
// accepted one is refused (-2) even when nothing needs topping up, so that a replaced leader
// learns it at once. ARGV[3] = '' records the epoch without writing.
const RESTOCK = `
local last = tonumber(redis.call('HGET', KEYS[1], 'fence') or '0')
if tonumber(ARGV[1]) < last then return -1 end
local epoch = tonumber(redis.call('GET', KEYS[2]) or '0')
if tonumber(ARGV[2]) < epoch then return -2 end
redis.call('SET', KEYS[2], ARGV[2])
if ARGV[3] == '' then return 0 end
redis.call('HSET', KEYS[1], 'fence', ARGV[1], 'available', ARGV[3], 'version', ARGV[4], 'updatedAt', ARGV[5])
return 1`;

type Fields = Record<string, string>;

function toLevel(sku: string, fields: Fields): StockLevel {
  return {
    sku,
    available: BigInt(fields.available ?? '0'),
    reserved: BigInt(fields.reserved ?? '0'),
    version: BigInt(fields.version ?? '0'),
    updatedAt: new Date(Number(fields.updatedAt ?? 0)),
  };
}

/**
 * Stock in Redis, shared by every inventory instance. Each change to a SKU happens under the
 * distributed lock `sku:<sku>`, and the write carries the lock's fencing token: Redis refuses
 * a write older than the last one it accepted (StaleWriteError). Changes are published on a
 * channel for WatchStock.
 */
export class RedisStockStore implements StockStore {
  private readonly logger = new Logger('RedisStockStore');
  readonly redis: Redis;

  constructor(
    url: string,
    private readonly locks: LockService,
  ) {
    this.redis = new Redis(url, { maxRetriesPerRequest: 1 });
    this.redis.on('error', (error) => this.logger.warn(`redis: ${error.message}`));
  }

  private skuKey(sku: string): string {
    return `${PREFIX}sku:{${sku}}`;
  }

  /** Creates the SKUs that do not exist yet (the first instance to start seeds; others keep the data). */
  async seed(levels: Readonly<Record<string, bigint>>): Promise<void> {
    for (const [sku, available] of Object.entries(levels)) {
      const key = this.skuKey(sku);
      await this.redis.hsetnx(key, 'available', available.toString());
      await this.redis.hsetnx(key, 'reserved', '0');
      await this.redis.hsetnx(key, 'version', '1');
      await this.redis.hsetnx(key, 'updatedAt', String(Date.now()));
      await this.redis.sadd(`${PREFIX}skus`, sku);
    }
  }

  async level(sku: string): Promise<StockLevel | undefined> {
    const fields = await this.guard(`reading ${sku}`, () => this.redis.hgetall(this.skuKey(sku)));
    return fields.available === undefined ? undefined : toLevel(sku, fields);
  }

  async skus(): Promise<string[]> {
    return this.guard('listing SKUs', () => this.redis.smembers(`${PREFIX}skus`));
  }

  async reserve(input: ReserveInput, servedBy: string) {
    validateReserveInput(input);
    const { sku, quantity } = input;
    return this.locks.using(
      `sku:${sku}`,
      async (signal, lock) => {
        const level = await this.level(sku);
        const reservation = reserveAgainst(input, level, servedBy);
        signal.throwIfAborted();
        const stock = await this.write(lock, level!, -quantity, reservation);
        return { reservation, stock };
      },
      { waitMs: 5_000, ttlMs: 5_000 },
    );
  }

  async release(target: ReleaseTarget): Promise<Reservation[]> {
    const ids =
      'reservationId' in target
        ? [target.reservationId]
        : await this.guard('listing reservations', () =>
            this.redis.smembers(`${PREFIX}order:${target.orderId}`),
          );
    const released: Reservation[] = [];
    for (const id of ids) {
      const raw = await this.guard('reading a reservation', () =>
        this.redis.get(`${PREFIX}reservation:${id}`),
      );
      if (!raw) {
        if ('reservationId' in target) throw new UnknownReservationError(id);
        continue;
      }
      const reservation = this.parseReservation(raw);
      if (reservation.status !== ReservationStatus.RESERVATION_STATUS_RESERVED) continue;
      await this.locks.using(
        `sku:${reservation.sku}`,
        async (signal, lock) => {
          const level = (await this.level(reservation.sku))!;
          signal.throwIfAborted();
          const done = { ...reservation, status: ReservationStatus.RESERVATION_STATUS_RELEASED };
          await this.write(lock, level, reservation.quantity, done);
          released.push(done);
        },
        { waitMs: 5_000, ttlMs: 5_000 },
      );
    }
    return released;
  }

  async restock(sku: string, { below, to }: RestockPolicy, epoch: bigint): Promise<StockLevel | undefined> {
    return this.locks.using(
      `sku:${sku}`,
      async (signal, lock) => {
        const level = await this.level(sku);
        if (!level) throw new UnknownSkuError(sku);
        signal.throwIfAborted();
        const next: StockLevel | undefined =
          level.available < below && to > level.available
            ? { ...level, available: to, version: level.version + 1n, updatedAt: new Date() }
            : undefined;
        const fields: Fields = next
          ? {
              available: next.available.toString(),
              reserved: next.reserved.toString(),
              version: next.version.toString(),
              updatedAt: String(next.updatedAt!.getTime()),
            }
          : {};
        const outcome = await this.guard(`restocking ${sku}`, () =>
          this.redis.eval(
            RESTOCK,
            2,
            this.skuKey(sku),
            `${PREFIX}restock:epoch`,
            lock.token.toString(),
            epoch.toString(),
            fields.available ?? '',
            fields.version ?? '',
            fields.updatedAt ?? '',
          ),
        );
        if (outcome === -1) throw new StaleWriteError(sku, lock.token);
        if (outcome === -2) throw new StaleEpochError(sku, epoch);
        if (next) {
          await this.redis.publish(CHANGES, `${sku}\n${JSON.stringify(fields)}`).catch(() => undefined);
        }
        return next;
      },
      { waitMs: 5_000, ttlMs: 5_000 },
    );
  }

  async *changes(skus: readonly string[], { signal }: { signal: AbortSignal }): AsyncIterable<StockLevel> {
    const subscriber = this.redis.duplicate();
    const pending = new Map<string, StockLevel>();
    let wake = () => {};
    subscriber.on('message', (_channel: string, message: string) => {
      const [sku, ...rest] = message.split('\n');
      if (skus.length > 0 && !skus.includes(sku!)) return;
      pending.set(sku!, toLevel(sku!, JSON.parse(rest.join('\n')) as Fields));
      wake();
    });
    const onAbort = () => wake();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await subscriber.subscribe(CHANGES);
      while (!signal.aborted) {
        if (pending.size === 0) {
          await new Promise<void>((resolve) => (wake = resolve));
          continue;
        }
        const levels = [...pending.values()];
        pending.clear();
        yield* levels;
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      subscriber.disconnect();
    }
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }

  /** The fenced write of `level` moved by `delta` (available += delta, reserved −= delta). */
  /**
   * The fenced write of `level` moved by `delta` (available += delta, reserved −= delta),
   * together with the reservation that moved it. Redis errors become StockUnavailableError.
   */
  protected async write(
    lock: LockHandle,
    level: StockLevel,
    delta: bigint,
    reservation: Reservation,
  ): Promise<StockLevel> {
    const next: StockLevel = {
      sku: level.sku,
      available: level.available + delta,
      reserved: level.reserved - delta,
      version: level.version + 1n,
      updatedAt: new Date(),
    };
    const fields: Fields = {
      available: next.available.toString(),
      reserved: next.reserved.toString(),
      version: next.version.toString(),
      updatedAt: String(next.updatedAt!.getTime()),
    };
    const accepted = await this.guard(`writing ${level.sku}`, () =>
      this.redis.eval(
        FENCED_WRITE,
        3,
        this.skuKey(level.sku),
        `${PREFIX}reservation:${reservation.reservationId}`,
        `${PREFIX}order:${reservation.orderId}`,
        lock.token.toString(),
        fields.available!,
        fields.reserved!,
        fields.version!,
        fields.updatedAt!,
        JSON.stringify({ ...reservation, quantity: reservation.quantity.toString() }),
        reservation.reservationId,
      ),
    );
    if (accepted !== 1) throw new StaleWriteError(level.sku, lock.token);
    // Best effort: watchers miss an event rather than the write failing after it happened.
    await this.redis.publish(CHANGES, `${level.sku}\n${JSON.stringify(fields)}`).catch(() => undefined);
    return next;
  }

  /** Runs a Redis operation, turning its failure into StockUnavailableError (gRPC UNAVAILABLE). */
  private async guard<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw new StockUnavailableError(operation, error);
    }
  }

  private parseReservation(raw: string): Reservation {
    const parsed = JSON.parse(raw) as Omit<Reservation, 'quantity' | 'reservedAt'> & {
      quantity: string;
      reservedAt: string;
    };
    return { ...parsed, quantity: BigInt(parsed.quantity), reservedAt: new Date(parsed.reservedAt) };
  }
}
