import assert from 'node:assert/strict';
import { DEFAULT_CIRCUIT_BREAKER, DEFAULT_CLIENT_TIMEOUT_MS } from '@nestmesh/grpc';

import { postJson } from './embedded-cluster.js';
import { errorCode, type HttpOutcome } from './http-outcomes.js';

/**
 * How long waves may go without one acknowledged order before the load counts as stalled: two
 * of the order service's breaker windows and two of its calls' deadlines. A wave of timeouts on
 * a loaded machine trips the breaker toward inventory; its probe (one call a second) finds
 * inventory answering again, and the slow start lets more through as the failures leave the
 * window (docs/grpc.md, "Circuit breaker"); a wave lasts as long as its slowest call, up to a
 * deadline.
 */
export const ORDER_STALL_MS = 2 * DEFAULT_CIRCUIT_BREAKER.windowMs + 2 * DEFAULT_CLIENT_TIMEOUT_MS;

/** One order of one unit of `sku`, through the order app at `baseUrl`. */
export function orderOne(baseUrl: string, sku: string, signal: AbortSignal): Promise<HttpOutcome> {
  return postJson(`${baseUrl}/orders`, { items: [{ sku, quantity: 1 }] }, { signal });
}

export interface OrderWaves {
  /** Every answer, in the order the waves came back. */
  results: HttpOutcome[];
  /** A line per wave: when it came back and its answers, e.g. `12.5s:201×31/503:CIRCUIT_BREAKER_OPEN×19`. */
  tallies: string[];
}

/** A wave's answers by status and error code. */
export function tally(outcomes: readonly HttpOutcome[]): string {
  const counts = new Map<string, number>();
  for (const { status, body } of outcomes) {
    const key = status >= 200 && status < 300 ? String(status) : `${status}:${errorCode(body) ?? '?'}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([key, count]) => `${key}×${count}`).join('/');
}

/**
 * Waves of `size` concurrent orders while `more()` says so (it is asked before each wave).
 * Proof of progress is time-based, not a count of waves: the load fails when `stallMs` pass
 * without an acknowledged (2xx) order (not counting while `excused()`), naming every wave's
 * answers. `waves` is filled as the waves come back, for a caller that watches it meanwhile.
 */
export async function orderInWaves(
  order: () => Promise<HttpOutcome>,
  {
    size,
    more,
    stallMs = ORDER_STALL_MS,
    waves = { results: [], tallies: [] },
    excused = () => false,
    now = () => performance.now(),
  }: {
    size: number;
    more: () => Promise<boolean> | boolean;
    /** While true, waves without an acknowledged order are expected: the stall clock waits. */
    excused?: () => boolean;
    stallMs?: number;
    waves?: OrderWaves;
    now?: () => number;
  },
): Promise<OrderWaves> {
  const start = now();
  let lastAcknowledged = start;
  while (await more()) {
    if (excused()) lastAcknowledged = now();
    const stalled = now() - lastAcknowledged;
    assert.ok(
      stalled <= stallMs,
      `no order acknowledged for ${Math.round(stalled)} ms (limit ${stallMs} ms); waves: ${waves.tallies.join(' ')}`,
    );
    const wave = await Promise.all(Array.from({ length: size }, order));
    if (wave.some(({ status }) => status >= 200 && status < 300)) lastAcknowledged = now();
    waves.tallies.push(`${((now() - start) / 1000).toFixed(1)}s:${tally(wave)}`);
    waves.results.push(...wave);
  }
  return waves;
}
