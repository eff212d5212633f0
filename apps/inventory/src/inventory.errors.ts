/**
 * Inventory's domain errors. Their `code` is a canonical gRPC status name, which is all the
 * transport needs to answer with the right status; the domain imports nothing from gRPC.
 */
export class InventoryError extends Error {
  constructor(
    readonly code: 'NOT_FOUND' | 'FAILED_PRECONDITION' | 'INVALID_ARGUMENT' | 'ABORTED' | 'UNAVAILABLE',
    message: string,
    options?: ErrorOptions,
  ) {
    super(`inventory: ${message}`, options);
    this.name = new.target.name;
  }
}

export class UnknownSkuError extends InventoryError {
  constructor(readonly sku: string) {
    super('NOT_FOUND', `unknown SKU "${sku}"`);
  }
}

export class InsufficientStockError extends InventoryError {
  constructor(
    readonly sku: string,
    readonly requested: bigint,
    readonly available: bigint,
  ) {
    super('FAILED_PRECONDITION', `SKU "${sku}" has ${available} available, ${requested} requested`);
  }
}

export class InvalidReservationError extends InventoryError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
  }
}

export class UnknownReservationError extends InventoryError {
  constructor(readonly reservationId: string) {
    super('NOT_FOUND', `unknown reservation "${reservationId}"`);
  }
}

/** A write carried a fencing token older than one the SKU already accepted: its lease had run out. */
export class StaleWriteError extends InventoryError {
  constructor(
    readonly sku: string,
    readonly token: bigint,
  ) {
    super('ABORTED', `write to SKU "${sku}" with fencing token ${token} refused: a newer holder has written`);
  }
}

/**
 * A restock carried a leadership epoch older than one the store already accepted: it came
 * from a leader that has since been replaced.
 */
export class StaleEpochError extends InventoryError {
  constructor(
    readonly sku: string,
    readonly epoch: bigint,
  ) {
    super('ABORTED', `restock of SKU "${sku}" at epoch ${epoch} refused: a newer leader has written`);
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
