import assert from 'node:assert/strict';

export interface HttpOutcome {
  status: number;
  body: Record<string, unknown>;
}

/** The code an HTTP error answer names (`code` of its RFC 9457 problem), or undefined. */
export function errorCode(body: Record<string, unknown>): string | undefined {
  const code = body.code;
  return typeof code === 'string' && code.length > 0 ? code : undefined;
}

/**
 * Every answer is `success` or a typed error: one of `errors` (HTTP statuses) with a code in its
 * body. Under load an order may time out (504) or find a backend away (503), never anything else.
 */
export function assertSuccessOrTypedError(outcomes: HttpOutcome[], success: number, errors: number[]): void {
  const tally = new Map<number, number>();
  for (const { status } of outcomes) tally.set(status, (tally.get(status) ?? 0) + 1);
  const counts = JSON.stringify(Object.fromEntries(tally));
  for (const { status, body } of outcomes) {
    if (status === success) continue;
    assert.ok(errors.includes(status), `only ${[success, ...errors].join(', ')}; got ${counts}`);
    assert.ok(errorCode(body), `a ${status} names its error: ${JSON.stringify(body)}`);
  }
}
