import type { ServiceInstance } from './service-instance.js';

/**
 * Finds the live instances of a service.
 *
 * What `watch` does, the same for every backend (the contract suite enforces it):
 * - It yields the current list first, then the whole list again after every change; a list
 *   equal to the previous one is not yielded again. A slow consumer gets the newest list,
 *   never a backlog.
 * - **The registry fails → the watch throws `RegistryUnavailableError`.** When the watch
 *   cannot start (the registry is down, refuses, or does not answer within the backend's
 *   request timeout) or loses its connection later, the loop throws; it never goes quiet
 *   while the registry is unreachable, and never reports an outage as an empty list. The
 *   backend does not retry a watch by itself: a stale list must not pass for a live one.
 * - **Re-watching is the recovery.** A new watch starts with the current list, so nothing is
 *   lost by watching again. `watchWithRetry` does that with jittered backoff, keeping the last
 *   list meanwhile and reporting each failure (the gRPC resolver uses it).
 * - **Ending.** Aborting the signal (even before the first list) or `break`ing ends the loop
 *   at once, without an error and without waiting for the registry. The backend's `close()`
 *   ends every open watch the same way (and a watch started after `close()` ends at once),
 *   leaving no timer or request behind.
 */
export interface Discovery {
  /** The healthy instances of `name` now (possibly none). Aborting rejects with the reason. */
  instances(name: string, options?: { signal?: AbortSignal }): Promise<ServiceInstance[]>;
  /** The healthy instances of `name`, now and after every change; see above for failures. */
  watch(name: string, options?: { signal?: AbortSignal }): AsyncIterable<ServiceInstance[]>;
}

/** Injection token for the configured {@link Discovery}. */
export const Discovery = Symbol.for('nestmesh.discovery.Discovery');
