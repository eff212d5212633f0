// Helpers of the telemetry specs: reading histogram points and waiting for spans to end.
import { isDeepStrictEqual } from 'node:util';
import type { Attributes } from '@opentelemetry/api';
import type { CapturedTelemetry } from '@nestmesh/telemetry/testing';
import { waitFor } from '@nestmesh/testing';

interface Point {
  attributes: Attributes;
  value: unknown;
}

/** The number of measurements a histogram point holds. */
export function histogramCount(point: Point): number {
  return (point.value as { count: number }).count;
}

/** Measurements recorded with exactly `attributes` (0 when there is no such point). */
export function countOf(points: readonly Point[], attributes: Attributes): number {
  const point = points.find((candidate) => isDeepStrictEqual({ ...candidate.attributes }, attributes));
  return point ? histogramCount(point) : 0;
}

/** Waits until at least `count` spans called `name` have ended (the other side may lag). */
export async function settle(telemetry: CapturedTelemetry, name: string, count: number): Promise<void> {
  await waitFor(() => telemetry.spans().filter((span) => span.name === name).length >= count, {
    description: `${count} "${name}" spans to end`,
  });
}
