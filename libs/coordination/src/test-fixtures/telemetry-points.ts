// Reading the captured metrics of a spec: the value of one series (by its attributes), so that
// a test asserts the change its own calls made, whatever earlier tests of the file recorded.
import type { CapturedTelemetry } from '@nestmesh/telemetry/testing';

type Point = Awaited<ReturnType<CapturedTelemetry['points']>>[number];

function matches(point: Point, attributes: Record<string, string | number>): boolean {
  return Object.entries(attributes).every(([name, value]) => point.attributes[name] === value);
}

/** A histogram series' count (0 when never recorded). */
export async function histogramCount(
  telemetry: CapturedTelemetry,
  metric: string,
  attributes: Record<string, string | number> = {},
): Promise<number> {
  let count = 0;
  for (const point of await telemetry.points(metric))
    if (matches(point, attributes)) count += (point.value as { count: number }).count;
  return count;
}

/** A counter's or up-down counter's (or gauge's) value summed over the matching series. */
export async function sumOf(
  telemetry: CapturedTelemetry,
  metric: string,
  attributes: Record<string, string | number> = {},
): Promise<number> {
  let sum = 0;
  for (const point of await telemetry.points(metric))
    if (matches(point, attributes)) sum += point.value as number;
  return sum;
}
