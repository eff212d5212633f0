import { Logger } from '@nestjs/common';
import { Backoff, type BackendUrl, promiseTry } from '@nestmesh/common';
import { Order } from '@nestmesh/contracts/order/v1';
import {
  createRedisClient,
  redisAuthFailure,
  redisCredentialsChecked,
  type RedisClient,
} from '@nestmesh/coordination/redis';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import {
  IdempotencyKeyInUseError,
  IdempotencyKeyReusedError,
  OrderStoreUnavailableError,
} from '../order.errors.js';
import {
  DEFAULT_CLAIM_MARGIN_MS,
  DEFAULT_IDEMPOTENCY_RETENTION_MS,
  IDEMPOTENCY_POLL_BACKOFF,
} from './order-store.constants.js';
import type { IdempotentPlacement, OrderStore, PlacedOrder } from './order.store.js';
import { MARK_PLACED, RELEASE_CLAIM } from './redis-order.scripts.js';

const PREFIX = 'nestmesh:order:';

/** An idempotency key's record: being placed by `owner`, or placed as `orderId`. */
type KeyRecord =
  | { state: 'placing'; fingerprint: string; owner: string }
  | { state: 'placed'; fingerprint: string; orderId: string };

export interface RedisOrderStoreOptions {
  /** How long a placed key is remembered, in ms (default 24 h). */
  idempotencyRetentionMs?: number;
  /** Added to a placement's longest duration for the time a claim is held, in ms (default 5 000). */
  claimMarginMs?: number;
  /** Deadline of each Redis command, in ms (a hung server then fails requests); default none. */
  commandTimeoutMs?: number;
  /** Monotonic clock in ms, for the waiting bound (tests inject one). Default performance.now. */
  now?: () => number;
}

/**
 * Orders in Redis, shared by every order instance and kept across restarts (as durable as the
 * Redis server is configured to be). An order is its protobuf encoding (Order.encode) under
 * `nestmesh:order:order:<id>`, so int64 quantities and the Timestamp round-trip exactly.
 *
 * An idempotency key is claimed atomically (SET NX) with the request's fingerprint for the
 * longest a placement can take plus a margin; the claimer places, then marks the key placed
 * with the order id for `idempotencyRetentionMs`, or deletes its claim when the placement
 * fails. A request that finds the key claimed polls it (jittered backoff up to 250 ms) until
 * it is placed (replayed), released or expired (then it claims the key itself), or until twice
 * the claim's lifetime has passed (IdempotencyKeyInUseError). Polling rather than pub/sub: a
 * same-key race between instances is rare (a client retrying), a poll needs no subscriber
 * connection and cannot miss a message while reconnecting.
 */
export class RedisOrderStore implements OrderStore {
  private readonly logger = new Logger('RedisOrderStore');
  readonly redis: RedisClient;
  private readonly retentionMs: number;
  private readonly claimMarginMs: number;
  private readonly now: () => number;

  /**
   * `url`: `redis[s]://[user:password@]host[:port][/db][?ca=&cert=&key=]`, `redis+sentinel://…`,
   * or `redis+cluster://[user:password@]host:port[,host:port…]` (see createRedisClient): every
   * command and script touches one key, so orders spread over the cluster's slots.
   */
  constructor(url: string | BackendUrl, options: RedisOrderStoreOptions = {}) {
    this.retentionMs = options.idempotencyRetentionMs ?? DEFAULT_IDEMPOTENCY_RETENTION_MS;
    this.claimMarginMs = options.claimMarginMs ?? DEFAULT_CLAIM_MARGIN_MS;
    this.now = options.now ?? (() => performance.now());
    // One retry per command: a request fails fast (503) while Redis is away instead of queueing.
    this.redis = createRedisClient(url, {
      maxRetriesPerRequest: 1,
      commandTimeout: options.commandTimeoutMs,
    });
    this.redis.on('error', (error: Error) => this.logger.warn(`redis: ${error.message}`));
  }

  async save(order: Order): Promise<void> {
    const bytes = Buffer.from(Order.encode(order).finish());
    await this.guard(`saving order ${order.orderId}`, () => this.redis.set(orderKey(order.orderId), bytes));
  }

  async get(orderId: string): Promise<Order | undefined> {
    const bytes = await this.guard(`reading order ${orderId}`, () => this.redis.getBuffer(orderKey(orderId)));
    return bytes === null ? undefined : Order.decode(bytes);
  }

  /** Aborting `placement.signal` stops waiting for another instance; a running placement goes on. */
  async placeOnce(key: string, placement: IdempotentPlacement): Promise<PlacedOrder> {
    const recordKey = `${PREFIX}idempotency:${key}`;
    const claimTtlMs = Math.ceil(placement.placementTimeoutMs + this.claimMarginMs);
    const startedAt = this.now();
    const backoff = new Backoff(IDEMPOTENCY_POLL_BACKOFF);
    for (;;) {
      const claim = JSON.stringify({
        state: 'placing',
        fingerprint: placement.fingerprint,
        owner: randomUUID(),
      });
      const claimed = await this.guard('claiming an idempotency key', () =>
        this.redis.set(recordKey, claim, 'PX', claimTtlMs, 'NX'),
      );
      if (claimed === 'OK')
        return { order: await this.placeClaimed(recordKey, claim, placement), replayed: false };
      const record = await this.readRecord(recordKey);
      if (record && record.fingerprint !== placement.fingerprint) throw new IdempotencyKeyReusedError();
      if (record?.state === 'placed') return { order: await this.replay(record.orderId), replayed: true };
      const waitedMs = this.now() - startedAt;
      if (waitedMs >= 2 * claimTtlMs) throw new IdempotencyKeyInUseError(waitedMs);
      await sleep(backoff.next(), undefined, { signal: placement.signal });
    }
  }

  /**
   * Startup check: rejects with BackendAuthError when Redis refuses the URL's credentials
   * (then the client stops reconnecting), resolves once connected or when Redis is away.
   */
  credentialsChecked(): Promise<void> {
    return redisCredentialsChecked(this.redis);
  }

  close(): Promise<void> {
    return promiseTry(() => this.redis.disconnect());
  }

  private async placeClaimed(
    recordKey: string,
    claim: string,
    placement: IdempotentPlacement,
  ): Promise<Order> {
    let order: Order;
    try {
      order = await placement.place();
    } catch (error) {
      await this.releaseClaim(recordKey, claim);
      throw error;
    }
    const placed = JSON.stringify({
      state: 'placed',
      fingerprint: placement.fingerprint,
      orderId: order.orderId,
    });
    try {
      const marked = await this.redis.eval(
        MARK_PLACED,
        1,
        recordKey,
        claim,
        placed,
        String(this.retentionMs),
      );
      if (marked !== 1) {
        this.logger.error(
          `order ${order.orderId} was placed after its idempotency key had passed to another request`,
        );
      }
    } catch (error) {
      // The order stands (placed and saved); the key stays claimed until its claim expires.
      this.logger.error(
        `marking the idempotency key of order ${order.orderId} placed failed: ${String(error)}`,
      );
    }
    return order;
  }

  /** Best effort: when Redis is away the claim expires by itself (its TTL) and frees the key. */
  private async releaseClaim(recordKey: string, claim: string): Promise<void> {
    try {
      await this.redis.eval(RELEASE_CLAIM, 1, recordKey, claim);
    } catch (error) {
      this.logger.warn(`releasing an idempotency key after a failed placement failed: ${String(error)}`);
    }
  }

  private async readRecord(recordKey: string): Promise<KeyRecord | undefined> {
    const raw = await this.guard('reading an idempotency key', () => this.redis.get(recordKey));
    return raw === null ? undefined : (JSON.parse(raw) as KeyRecord);
  }

  private async replay(orderId: string): Promise<Order> {
    const order = await this.get(orderId);
    if (!order) {
      throw new OrderStoreUnavailableError(
        'replaying an idempotency key',
        new Error(`the order ${orderId} placed under it is missing from the store`),
      );
    }
    return order;
  }

  /** Runs a Redis operation, turning its failure into OrderStoreUnavailableError (gRPC UNAVAILABLE). */
  private async guard<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      // A refused password is BackendAuthError (fix the URL), not an outage to retry.
      throw redisAuthFailure(this.redis) ?? new OrderStoreUnavailableError(operation, error);
    }
  }
}

function orderKey(orderId: string): string {
  return `${PREFIX}order:${orderId}`;
}
