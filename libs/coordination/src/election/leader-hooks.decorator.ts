import type { LeadershipLostError } from '../coordination.errors.js';

export const ON_LEADER_ELECTED_METADATA = 'nestmesh:coordination:on-leader-elected';
export const ON_LEADER_REVOKED_METADATA = 'nestmesh:coordination:on-leader-revoked';

/**
 * Called with the epoch each time this instance becomes the leader, and a signal that fires
 * when that leadership ends or the app starts shutting down. Work it starts is leader work:
 * it runs inside `currentLeadership()`, and shutdown waits (up to `drainTimeoutMs`) for the
 * returned promise before resigning. The campaign loop does not wait for it.
 */
export type LeaderElectedHook = (epoch: bigint, signal: AbortSignal) => unknown;

/**
 * Called once that leadership has ended, with why (expired, unconfirmed, resigned, closed).
 * The instance campaigns again only after every revoked hook has settled: keep them short.
 */
export type LeaderRevokedHook = (epoch: bigint, reason: LeadershipLostError) => unknown;

function hook(metadataKey: string) {
  return <T>(_target: object, _property: string | symbol, descriptor: TypedPropertyDescriptor<T>) => {
    Reflect.defineMetadata(metadataKey, true, descriptor.value as object);
    return descriptor;
  };
}

/** Marks a method as a {@link LeaderElectedHook}; errors it throws are logged, never fatal. */
export function OnLeaderElected() {
  return hook(ON_LEADER_ELECTED_METADATA) as <T extends LeaderElectedHook>(
    target: object,
    property: string | symbol,
    descriptor: TypedPropertyDescriptor<T>,
  ) => TypedPropertyDescriptor<T>;
}

/** Marks a method as a {@link LeaderRevokedHook}; errors it throws are logged, never fatal. */
export function OnLeaderRevoked() {
  return hook(ON_LEADER_REVOKED_METADATA) as <T extends LeaderRevokedHook>(
    target: object,
    property: string | symbol,
    descriptor: TypedPropertyDescriptor<T>,
  ) => TypedPropertyDescriptor<T>;
}
