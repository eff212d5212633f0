import type { Order } from '@nestmesh/contracts/order/v1';

export interface PlacedOrder {
  order: Order;
  /** True when an earlier request with the same idempotency key placed it. */
  replayed: boolean;
}

/** What a placement under an idempotency key needs besides the key. */
export interface IdempotentPlacement {
  /** The canonical fingerprint of the request (see canonical-json.ts). */
  fingerprint: string;
  /**
   * The longest the placement can take, in ms (its calls to inventory, each bounded by their
   * deadline). A store shared by several instances holds the key this long (plus a margin)
   * while placing; past it, another instance may take the key over.
   */
  placementTimeoutMs: number;
  /** Places the order (and saves it); runs at most once per key while the key is remembered. */
  place: () => Promise<Order>;
  /** Aborting stops waiting for a placement another request is running under the key. */
  signal?: AbortSignal;
}

/**
 * Where placed orders and the idempotency keys they were placed under live: in this process
 * (MemoryOrderStore, the embedded default) or in Redis (RedisOrderStore, shared by every order
 * instance). Failures of the store itself are OrderStoreUnavailableError (gRPC UNAVAILABLE).
 */
export interface OrderStore {
  /** Stores a placed order; it stays until the store itself is emptied. */
  save(order: Order): Promise<void>;
  /** The order, or undefined when there is none with this id. */
  get(orderId: string): Promise<Order | undefined>;
  /**
   * Runs `placement.place` once per key: the same key with the same fingerprint answers the
   * order placed under it (`replayed`), also while that placement is still running (the caller
   * waits for it); another fingerprint throws IdempotencyKeyReusedError. A placement that fails
   * forgets its key, so the client may retry with it; its error is rethrown unchanged.
   */
  placeOnce(key: string, placement: IdempotentPlacement): Promise<PlacedOrder>;
}

/** Injection token for the {@link OrderStore}. */
export const OrderStore = Symbol.for('nestmesh.order.OrderStore');
