import { Logger } from '@nestjs/common';
import { promiseTry, splitBackendUrls } from '@nestmesh/common';
import type { Reservation, StockLevel } from '@nestmesh/contracts/inventory/v1';
import type { LockHandle, LockService } from '@nestmesh/coordination';
import {
  createRedisClient,
  isCluster,
  redisAuthFailure,
  redisCredentialsChecked,
  type RedisClient,
} from '@nestmesh/coordination/redis';

import {
  StaleEpochError,
  StaleWriteError,
  StockUnavailableError,
  UnknownSkuError,
} from '../inventory.errors.js';
import { publishChange, stockChanges, toFields, toLevel, type Fields } from './redis-stock.changes.js';
import {
  CLUSTER_STOCK_KEYS,
  expiryScore,
  serializeReservation,
  STOCK_KEYS,
  type StockKeys,
} from './redis-stock.reservations.js';
import { LOCK_TIMING, RedisReservations } from './redis-stock.lifecycle.js';
import { ADD, CONFIRM, FENCED_READ, FENCED_WRITE, RESTOCK } from './redis-stock.scripts.js';
import {
  repeatedReservation,
  reserveAgainst,
  validateAddition,
  validateReserveInput,
} from './reservation.js';
import { StockScriptTelemetry } from './stock.telemetry.js';
import type {
  ChangeFeedOptions,
  LeaderRead,
  ReleaseTarget,
  ReservationPolicy,
  ReserveInput,
  RestockPolicy,
  StockStore,
} from './stock.store.js';
import { DEFAULT_RESERVATION_POLICY } from './stock.store.js';

/**
 * Stock in Redis, shared by every inventory instance. Each change to a SKU happens under the
 * distributed lock `sku:<sku>`, and both its read and its write carry the lock's fencing
 * token: Redis refuses a token older than the newest the SKU has seen, read or write
 * (StaleWriteError), and the read records it. Fencing the write alone would not do: a holder
 * that stalled after its read could still land its write between a newer holder's read and
 * write, and one of the two updates would be lost. Changes are published on a channel for
 * WatchStock. Releases and confirmations are RedisReservations' (redis-stock.lifecycle.ts),
 * under the same locks and through the same fenced scripts.
 */
export class RedisStockStore implements StockStore {
  private readonly logger = new Logger('RedisStockStore');
  readonly redis: RedisClient;
  /** Key names: on a Redis Cluster all under one hash tag (see CLUSTER_STOCK_KEYS). */
  readonly keys: StockKeys;
  private readonly scripts: StockScriptTelemetry;
  private readonly reservations: RedisReservations;

  constructor(
    url: string,
    private readonly locks: LockService,
    private readonly policy: ReservationPolicy = DEFAULT_RESERVATION_POLICY,
  ) {
    // Built as the locks' connections are (TLS, ACL user); a Redlock list (locks only) puts the
    // stock on its first master, as docs/configuration.md says. A bad URL is refused here.
    const [first = url] = splitBackendUrls(url);
    this.redis = createRedisClient(
      first,
      { maxRetriesPerRequest: 1 },
      (message) => new Error(`inventory: REDIS_URL ${message}`),
    );
    this.keys = isCluster(this.redis) ? CLUSTER_STOCK_KEYS : STOCK_KEYS;
    this.redis.on('error', (error: Error) => this.logger.warn(`redis: ${error.message}`));
    this.scripts = new StockScriptTelemetry(this.redis);
    this.reservations = new RedisReservations({
      redis: this.redis,
      keys: this.keys,
      locks,
      readFenced: (sku, token) => this.readFenced(sku, token),
      write: (lock, level, delta, reservation, epoch) => this.write(lock, level, delta, reservation, epoch),
      writeConfirmation: (lock, reservation) => this.writeConfirmation(lock, reservation),
      guard: (operation, run) => this.guard(operation, run),
    });
  }

  private skuKey(sku: string): string {
    return this.keys.sku(sku);
  }

  /**
   * Startup check: rejects with BackendAuthError when Redis refuses the URL's credentials
   * (then the client stops reconnecting), resolves once connected or when Redis is away.
   */
  credentialsChecked(): Promise<void> {
    return redisCredentialsChecked(this.redis);
  }

  /** Creates the SKUs that do not exist yet (the first instance to start seeds; others keep the data). */
  async seed(levels: Readonly<Record<string, bigint>>): Promise<void> {
    for (const [sku, available] of Object.entries(levels)) {
      const key = this.skuKey(sku);
      await this.redis.hsetnx(key, 'available', available.toString());
      await this.redis.hsetnx(key, 'reserved', '0');
      await this.redis.hsetnx(key, 'version', '1');
      await this.redis.hsetnx(key, 'updatedAt', String(Date.now()));
      await this.redis.sadd(this.keys.skus, sku);
    }
  }

  async level(sku: string, read?: LeaderRead): Promise<StockLevel | undefined> {
    if (read) return this.readFenced(sku, undefined, read.epoch);
    const fields = await this.guard(`reading ${sku}`, () => this.redis.hgetall(this.skuKey(sku)));
    return fields.available === undefined ? undefined : toLevel(sku, fields);
  }

  /**
   * Reads `sku` as the holder of lock token `token` and/or leadership epoch `epoch`: refused
   * (StaleWriteError / StaleEpochError) when a newer one has read or written, else recorded.
   */
  protected async readFenced(sku: string, token?: bigint, epoch?: bigint): Promise<StockLevel | undefined> {
    const key = `sku:${sku}`;
    const answer = await this.guard(`reading ${sku}`, () =>
      this.scripts.run(
        'fenced-read',
        () =>
          this.redis.eval(
            FENCED_READ,
            2,
            this.skuKey(sku),
            this.keys.restockEpoch,
            token?.toString() ?? '',
            epoch?.toString() ?? '',
          ),
        (refused) =>
          refused === -1
            ? { kind: 'token', operation: 'read', key, value: token! }
            : refused === -2
              ? { kind: 'epoch', operation: 'read', key, value: epoch! }
              : undefined,
      ),
    );
    if (answer === -1) throw new StaleWriteError(sku, token!, 'read');
    if (answer === -2) throw new StaleEpochError(sku, epoch!, 'read');
    const flat = answer as string[];
    const fields: Fields = {};
    for (let i = 0; i < flat.length; i += 2) fields[flat[i]] = flat[i + 1];
    return fields.available === undefined ? undefined : toLevel(sku, fields);
  }

  async skus(): Promise<string[]> {
    return this.guard('listing SKUs', () => this.redis.smembers(this.keys.skus));
  }

  async reserve(input: ReserveInput, servedBy: string) {
    validateReserveInput(input);
    const { sku, quantity } = input;
    return this.locks.using(
      `sku:${sku}`,
      async (signal, lock) => {
        const level = await this.readFenced(sku, lock.token);
        // Under the SKU's lock: a concurrent call for the same pair waits, then finds this one's.
        const existing = await this.reservations.reservationOfPair(input.orderId, sku);
        if (existing) return { reservation: repeatedReservation(input, existing), stock: level! };
        const reservation = reserveAgainst(input, level, servedBy, this.policy);
        signal.throwIfAborted();
        const stock = await this.write(lock, level!, -quantity, reservation);
        return { reservation, stock };
      },
      LOCK_TIMING,
    );
  }

  release(target: ReleaseTarget): Promise<Reservation[]> {
    return this.reservations.release(target);
  }

  confirm(orderId: string): Promise<Reservation[]> {
    return this.reservations.confirm(orderId);
  }

  releaseExpired(now: number, epoch: bigint): Promise<Reservation[]> {
    return this.reservations.releaseExpired(now, epoch);
  }

  async restock(sku: string, { below, to }: RestockPolicy, epoch: bigint): Promise<StockLevel | undefined> {
    return this.locks.using(
      `sku:${sku}`,
      async (signal, lock) => {
        const level = await this.readFenced(sku, lock.token, epoch);
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
          this.scripts.run(
            'restock',
            () =>
              this.redis.eval(
                RESTOCK,
                2,
                this.skuKey(sku),
                this.keys.restockEpoch,
                lock.token.toString(),
                epoch.toString(),
                fields.available ?? '',
                fields.version ?? '',
                fields.updatedAt ?? '',
              ),
            (refused) =>
              refused === -1
                ? { kind: 'token', operation: 'write', key: `sku:${sku}`, value: lock.token }
                : refused === -2
                  ? { kind: 'epoch', operation: 'write', key: `sku:${sku}`, value: epoch }
                  : undefined,
          ),
        );
        if (outcome === -1) throw new StaleWriteError(sku, lock.token);
        if (outcome === -2) throw new StaleEpochError(sku, epoch);
        if (next) {
          await publishChange(this.redis, sku, fields);
        }
        return next;
      },
      LOCK_TIMING,
    );
  }

  async add(sku: string, quantity: bigint): Promise<StockLevel> {
    validateAddition(sku, quantity);
    return this.locks.using(
      `sku:${sku}`,
      async (signal, lock) => {
        const level = await this.readFenced(sku, lock.token);
        signal.throwIfAborted();
        const next: StockLevel = {
          sku,
          available: (level?.available ?? 0n) + quantity,
          reserved: level?.reserved ?? 0n,
          version: (level?.version ?? 0n) + 1n,
          updatedAt: new Date(),
        };
        const fields = toFields(next);
        const accepted = await this.guard(`adding to ${sku}`, () =>
          this.scripts.run(
            'add',
            () =>
              this.redis.eval(
                ADD,
                2,
                this.skuKey(sku),
                this.keys.skus,
                lock.token.toString(),
                fields.available,
                fields.reserved,
                fields.version,
                fields.updatedAt,
                sku,
              ),
            (answer) =>
              answer === 1
                ? undefined
                : { kind: 'token', operation: 'write', key: `sku:${sku}`, value: lock.token },
          ),
        );
        if (accepted !== 1) throw new StaleWriteError(sku, lock.token);
        await publishChange(this.redis, sku, fields);
        return next;
      },
      LOCK_TIMING,
    );
  }

  changes(skus: readonly string[], options: ChangeFeedOptions): AsyncIterable<StockLevel> {
    return stockChanges(this.redis, skus, options);
  }

  close(): Promise<void> {
    return promiseTry(() => this.redis.disconnect());
  }

  /**
   * The fenced write of `level` moved by `delta` (available += delta, reserved −= delta),
   * together with the reservation that moved it. Redis errors become StockUnavailableError.
   */
  protected async write(
    lock: Pick<LockHandle, 'token'>,
    level: StockLevel,
    delta: bigint,
    reservation: Reservation,
    epoch?: bigint,
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
      this.scripts.run(
        'fenced-write',
        () =>
          this.redis.eval(
            FENCED_WRITE,
            6,
            this.skuKey(level.sku),
            this.keys.reservation(reservation.reservationId),
            this.keys.order(reservation.orderId),
            this.keys.pair(reservation.orderId, reservation.sku),
            this.keys.expiring,
            this.keys.restockEpoch,
            lock.token.toString(),
            fields.available,
            fields.reserved,
            fields.version,
            fields.updatedAt,
            serializeReservation(reservation),
            reservation.reservationId,
            expiryScore(reservation),
            epoch?.toString() ?? '',
          ),
        (answer) =>
          answer === 1
            ? undefined
            : answer === -2
              ? { kind: 'epoch', operation: 'write', key: `sku:${level.sku}`, value: epoch! }
              : { kind: 'token', operation: 'write', key: `sku:${level.sku}`, value: lock.token },
      ),
    );
    if (accepted === -2) throw new StaleEpochError(level.sku, epoch!, 'reconcile');
    if (accepted !== 1) throw new StaleWriteError(level.sku, lock.token);
    // Best effort: watchers miss an event rather than the write failing after it happened.
    await publishChange(this.redis, level.sku, fields);
    return next;
  }

  /** Runs a Redis operation, turning its failure into StockUnavailableError (gRPC UNAVAILABLE). */
  private async guard<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      // A refused password is BackendAuthError (fix the URL), not an outage to retry.
      throw redisAuthFailure(this.redis) ?? new StockUnavailableError(operation, error);
    }
  }

  /** The fenced write of a confirmed reservation (no stock moves). */
  private async writeConfirmation(lock: Pick<LockHandle, 'token'>, reservation: Reservation): Promise<void> {
    const key = `sku:${reservation.sku}`;
    const accepted = await this.guard(`confirming on ${reservation.sku}`, () =>
      this.scripts.run(
        'confirm',
        () =>
          this.redis.eval(
            CONFIRM,
            3,
            this.skuKey(reservation.sku),
            this.keys.reservation(reservation.reservationId),
            this.keys.expiring,
            lock.token.toString(),
            serializeReservation(reservation),
            reservation.reservationId,
          ),
        (answer) =>
          answer === 1 ? undefined : { kind: 'token', operation: 'write', key, value: lock.token },
      ),
    );
    if (accepted !== 1) throw new StaleWriteError(reservation.sku, lock.token);
  }
}
