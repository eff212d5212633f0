import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';

import { InvalidOrderError } from '../order.errors.js';
import { fieldViolations, type FieldViolation } from './field-violations.js';
import { MAX_ORDER_ITEMS, PlaceOrderDto, VALIDATION_OPTIONS } from './place-order.dto.js';

/**
 * Idempotency keys: 1–128 characters from letters, digits and `- _ . : ~ + / =` (a UUID, a
 * ULID or base64 fits). Bounded so that a client cannot make the server keep megabytes per key.
 */
export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9_.:~+/=-]{1,128}$/;
export const IDEMPOTENCY_KEY_RULE = "must be 1-128 characters from letters, digits and '-_.:~+/='";

export interface PlaceOrderInput {
  items: readonly { sku: string; quantity: bigint }[];
  idempotencyKey?: string;
}

/** The violation of an idempotency key, or undefined when it is acceptable. */
export function idempotencyKeyViolation(key: string, field: string): FieldViolation | undefined {
  return IDEMPOTENCY_KEY_PATTERN.test(key)
    ? undefined
    : { field, description: `${field} ${IDEMPOTENCY_KEY_RULE}` };
}

/**
 * Checks an order against the rules of PlaceOrderDto — the very classes the HTTP edge
 * validates its body with — and throws InvalidOrderError (INVALID_ARGUMENT, HTTP 400) with
 * every violation. Quantities are int64 on gRPC: they are compared as numbers, which keeps
 * their sign and magnitude, so the bounds hold for any value.
 */
export function validatePlaceOrder({ items, idempotencyKey }: PlaceOrderInput): void {
  const violations: FieldViolation[] = [];
  if (items.length > MAX_ORDER_ITEMS) {
    // Checked before the items, so that 100 000 items are not each validated and reported.
    violations.push({
      field: 'items',
      description: `items must contain no more than ${MAX_ORDER_ITEMS} elements`,
    });
  } else {
    const plain = { items: items.map(({ sku, quantity }) => ({ sku, quantity: Number(quantity) })) };
    const errors = validateSync(plainToInstance(PlaceOrderDto, plain), VALIDATION_OPTIONS);
    violations.push(...fieldViolations(errors));
  }
  const keyViolation =
    idempotencyKey === undefined ? undefined : idempotencyKeyViolation(idempotencyKey, 'idempotency_key');
  if (keyViolation) violations.push(keyViolation);
  if (violations.length > 0) throw new InvalidOrderError(violations);
}
