import { Status, type ErrorCodeMap } from '@nestmesh/grpc';

import { describeViolations, type FieldViolation } from './validation/field-violations.js';

/**
 * Order's domain errors. `code` is a canonical gRPC status name (see @nestmesh/grpc statusOf)
 * or, for IDEMPOTENCY_KEY_REUSED, an app code that OrderModule maps (ORDER_ERROR_CODES).
 */
export class OrderError extends Error {
  constructor(
    readonly code: 'NOT_FOUND' | 'INVALID_ARGUMENT' | 'IDEMPOTENCY_KEY_REUSED' | 'UNAVAILABLE' | 'ABORTED',
    message: string,
    options?: ErrorOptions,
  ) {
    super(`order: ${message}`, options);
    this.name = new.target.name;
  }
}

export class OrderNotFoundError extends OrderError {
  constructor(readonly orderId: string) {
    super('NOT_FOUND', `no order "${orderId}"`);
  }
}

/** A request with bad fields; `violations` name each one (never quoting its value). */
export class InvalidRequestError extends OrderError {
  constructor(
    readonly violations: readonly FieldViolation[],
    what = 'invalid request',
  ) {
    super('INVALID_ARGUMENT', `${what}: ${describeViolations(violations)}`);
  }
}

/** An order that breaks the rules of PlaceOrderDto. */
export class InvalidOrderError extends InvalidRequestError {
  constructor(violations: readonly FieldViolation[]) {
    super(violations, 'invalid order');
  }
}

/**
 * An idempotency key already used for an order with other items. Answering with the first
 * order would tell the client its second, different order was placed: it was not.
 */
export class IdempotencyKeyReusedError extends OrderError {
  constructor() {
    super(
      'IDEMPOTENCY_KEY_REUSED',
      'the idempotency key was already used for an order with other items; use a new key for a new order',
    );
  }
}

/**
 * The order store (Redis) failed or could not be reached: UNAVAILABLE (HTTP 503), the request
 * may be retried. `operation` says what was being done; the cause is kept.
 */
export class OrderStoreUnavailableError extends OrderError {
  constructor(operation: string, cause: unknown) {
    super(
      'UNAVAILABLE',
      `${operation}: the order store is unavailable (${cause instanceof Error ? cause.message : String(cause)})`,
      { cause },
    );
  }
}

/**
 * Another instance was still placing the order of this idempotency key when this request gave
 * up waiting for it (twice the time a placement can take): ABORTED (HTTP 409, as the IETF
 * Idempotency-Key draft answers a request whose key is still being processed). Retrying later
 * with the same key gets that order.
 */
export class IdempotencyKeyInUseError extends OrderError {
  constructor(waitedMs: number) {
    super(
      'ABORTED',
      `another request with this idempotency key is still being placed after ${Math.round(waitedMs)} ms; retry later with the same key`,
    );
  }
}

/**
 * Order's own codes → gRPC status (for MeshGrpcModule and the HTTP edge). Reusing a key with
 * other items is FAILED_PRECONDITION: the request is refused because of what the key is
 * already bound to, and repeating it cannot succeed.
 */
export const ORDER_ERROR_CODES: ErrorCodeMap = { IDEMPOTENCY_KEY_REUSED: Status.FAILED_PRECONDITION };

/**
 * Where HTTP answers differently from the gRPC table: 422 for a reused idempotency key, as the
 * IETF Idempotency-Key header draft says (the request is well-formed, its key is not usable).
 */
export const ORDER_HTTP_STATUSES: Readonly<Record<string, number>> = { IDEMPOTENCY_KEY_REUSED: 422 };

/**
 * A setting of the order app that cannot be used (an option or an environment variable such
 * as HTTP_RATE_LIMIT); thrown at startup, naming the setting and the value refused.
 */
export class OrderConfigError extends Error {
  readonly code = 'ORDER_CONFIG';

  constructor(message: string) {
    super(`order: ${message}`);
    this.name = new.target.name;
  }
}
