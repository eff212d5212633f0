/**
 * Inventory's domain errors. Their `code` is a canonical gRPC status name, which is all the
 * transport needs to answer with the right status; the domain imports nothing from gRPC.
 */
export class InventoryError extends Error {
  constructor(
    readonly code:
      | 'NOT_FOUND'
      | 'FAILED_PRECONDITION'
      | 'INVALID_ARGUMENT'
      | 'ABORTED'
      | 'UNAVAILABLE'
      | 'RESOURCE_EXHAUSTED'
      | 'ALREADY_EXISTS',
    message: string,
    options?: ErrorOptions,
  ) {
    super(`inventory: ${message}`, options);
    this.name = new.target.name;
  }
}

/** Longest caller-given value a message repeats in full; a valid SKU has at most 64 characters. */
const QUOTED_MAX = 64;

/**
 * A caller-given value (SKU, reservation id) as error messages show it: JSON-quoted (no control
 * characters reach a log line) and cut to 64 characters, so a caller that sends a 10 kB SKU does
 * not get it echoed back.
 */
export function quote(value: string): string {
  return value.length <= QUOTED_MAX
    ? JSON.stringify(value)
    : `${JSON.stringify(value.slice(0, QUOTED_MAX))}… (${value.length} characters)`;
}

export class UnknownSkuError extends InventoryError {
  constructor(readonly sku: string) {
    super('NOT_FOUND', `unknown SKU ${quote(sku)}`);
  }
}

export class InsufficientStockError extends InventoryError {
  constructor(
    readonly sku: string,
    readonly requested: bigint,
    readonly available: bigint,
  ) {
    super('FAILED_PRECONDITION', `SKU ${quote(sku)} has ${available} available, ${requested} requested`);
  }
}

export class InvalidReservationError extends InventoryError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
  }
}

/** A stock import with an empty SKU or a quantity below 1. */
export class InvalidStockError extends InventoryError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
  }
}

/** A FollowStock request with an empty SKU, or one SKU both followed and unfollowed. */
export class InvalidFollowError extends InventoryError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
  }
}

/** A FollowStock stream that would follow more SKUs than one stream may. */
export class FollowLimitError extends InventoryError {
  constructor(readonly limit: number) {
    super('RESOURCE_EXHAUSTED', `a FollowStock stream follows at most ${limit} SKUs`);
  }
}

export class UnknownReservationError extends InventoryError {
  constructor(readonly reservationId: string) {
    super('NOT_FOUND', `unknown reservation ${quote(reservationId)}`);
  }
}

/**
 * A ReserveStock for an (order, SKU) pair already reserved with another quantity: the caller
 * reused an order id for a different request (ALREADY_EXISTS; a retry repeats the quantity).
 */
export class ReservationConflictError extends InventoryError {
  constructor(
    readonly orderId: string,
    readonly sku: string,
    readonly existing: bigint,
    readonly requested: bigint,
  ) {
    super(
      'ALREADY_EXISTS',
      `order ${quote(orderId)} already reserved ${existing} of SKU ${quote(sku)}, ${requested} requested`,
    );
  }
}

/**
 * A ReserveStock for an (order, SKU) pair whose reservation was released (the order failed, or
 * it expired unconfirmed): reserving again under the same order id would revive an abandoned
 * order, so it is refused (FAILED_PRECONDITION); a new order gets a new id.
 */
export class ReservationReleasedError extends InventoryError {
  constructor(
    readonly orderId: string,
    readonly sku: string,
  ) {
    super(
      'FAILED_PRECONDITION',
      `the reservation of order ${quote(orderId)} for SKU ${quote(sku)} was released`,
    );
  }
}

/**
 * A read or write of a SKU carried a fencing token older than one the SKU has already seen
 * (read or written): its lease had run out and a newer holder has the SKU.
 */
export class StaleWriteError extends InventoryError {
  constructor(
    readonly sku: string,
    readonly token: bigint,
    readonly operation: 'read' | 'write' = 'write',
  ) {
    super(
      'ABORTED',
      `${operation} of SKU ${quote(sku)} with fencing token ${token} refused: a newer holder has read or written it`,
    );
  }
}

/**
 * A restock, or a leader's read, carried a leadership epoch older than one the store has
 * already seen: it came from a leader that has since been replaced.
 */
export class StaleEpochError extends InventoryError {
  constructor(
    readonly sku: string,
    readonly epoch: bigint,
    readonly operation: 'read' | 'restock' | 'reconcile' = 'restock',
  ) {
    super(
      'ABORTED',
      `${operation} of SKU ${quote(sku)} at epoch ${epoch} refused: a newer leader has read or written stock`,
    );
  }
}

/** The stock store (Redis) did not answer; nothing was changed by the failed operation. */
export class StockUnavailableError extends InventoryError {
  constructor(operation: string, cause: unknown) {
    super(
      'UNAVAILABLE',
      `${operation}: the stock store is unavailable (${cause instanceof Error ? cause.message : String(cause)})`,
      {
        cause,
      },
    );
  }
}
