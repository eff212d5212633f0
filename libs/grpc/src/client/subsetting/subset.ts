import { createHash } from 'node:crypto';
import type { ServiceInstance } from '@nestmesh/discovery';

/**
 * Deterministic subsetting on a ring (the shape of Finagle's deterministic aperture, with the
 * SRE book's goal of an even spread). The instances are laid out in one order every client
 * agrees on, the hash of their ids, and spaced evenly around a ring; a client stands at its
 * offset on the ring and takes the `size` instances from there on.
 *
 * - Even: clients at offsets i/C (i = 0 … C-1) start at floor(i·N/C), starts as evenly spaced
 *   as integers allow, so every instance is in floor(C·K/N) or ceil(C·K/N) subsets: the best
 *   an integer count can do (bench/src/scale/subset-quality.ts measures it).
 * - Stable: an instance that comes or goes moves each client's window by at most one place and
 *   adds or drops that one instance, so a subset loses at most two members per change (about
 *   one on average), where the SRE book's shuffled lists replace nearly all of them.
 * - Spread over hosts: ordering by the hash of the id, not the id, keeps the instances of one
 *   host (whose ids share a prefix) out of any single client's subset.
 * - Deterministic: the same instances and offset give the same subset in every process.
 */
export function subsetOf<T extends Pick<ServiceInstance, 'id'>>(
  instances: readonly T[],
  size: number,
  offset: number,
  positionOf: (id: string) => number = ringPosition,
): T[] {
  if (instances.length <= size) return [...instances];
  const ring = ringOrder(instances, positionOf);
  // i/C·N computed in floating point can fall a hair short of the integer it is (3/300·300):
  // the nudge, far below 1/C for any real C, keeps floor(i·N/C) exact.
  const start = Math.floor(normalizedOffset(offset) * ring.length + 1e-9) % ring.length;
  return Array.from({ length: size }, (_, step) => ring[(start + step) % ring.length]);
}

/**
 * The instances in ring order: by the hash of their ids (`positionOf`, ringPosition or a cache
 * of it), ties (never seen in practice) by id.
 */
export function ringOrder<T extends Pick<ServiceInstance, 'id'>>(
  instances: readonly T[],
  positionOf: (id: string) => number = ringPosition,
): T[] {
  return instances
    .map((instance) => ({ instance, position: positionOf(instance.id) }))
    .sort(
      (left, right) =>
        left.position - right.position ||
        (left.instance.id < right.instance.id ? -1 : left.instance.id > right.instance.id ? 1 : 0),
    )
    .map(({ instance }) => instance);
}

/**
 * Where a client of index `clientIndex` among `clientCount` peers stands, in [0, 1). `group`
 * (the caller's own service name, when the index is its rank there) turns the whole group by
 * a fixed amount, so that two calling services, each with its own ranks 0 … C-1, do not both
 * crowd the same first instances.
 */
export function clientOffset(clientIndex: number, clientCount: number, group?: string): number {
  const turn = group === undefined ? 0 : ringPosition(`group:${group}`);
  return normalizedOffset(clientIndex / clientCount + turn);
}

/** A stable point in [0, 1) for `key`: the first 48 bits of its SHA-256, the same in every process. */
export function ringPosition(key: string): number {
  const digest = createHash('sha256').update(key).digest();
  return digest.readUIntBE(0, 6) / 2 ** 48;
}

function normalizedOffset(offset: number): number {
  const wrapped = offset - Math.floor(offset);
  // 1 - ε wrapped by floating point can round to 1: the ring has no position 1.
  return wrapped >= 1 ? 0 : wrapped;
}
