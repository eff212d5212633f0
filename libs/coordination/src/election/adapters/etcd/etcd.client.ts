import type { EtcdConnection } from '@nestmesh/common';
import { Etcd3, type IOptions, type Watcher } from 'etcd3';

type FaultHandling = NonNullable<IOptions['faultHandling']>;

/** A host policy that only runs the call: no circuit breaker (see createEtcdClient). */
const passThrough: ReturnType<NonNullable<FaultHandling['host']>> = {
  _altReturn: undefined as never, // type-only member of cockatiel's IPolicy
  onSuccess: () => ({ dispose: () => undefined }),
  onFailure: () => ({ dispose: () => undefined }),
  async execute(run, signal) {
    return run({ signal: signal ?? new AbortController().signal });
  },
};

function constantBackoff(duration: number): NonNullable<FaultHandling['watchBackoff']> {
  return { duration, next: () => constantBackoff(duration) };
}

/**
 * A client for elections. etcd3's default per-host circuit breaker opens for 5 s after three
 * failed requests, so a campaign that failed through an outage kept failing after etcd was
 * back (0.6–2.2 s measured, up to 5 s; 4–12 ms without it) — longer than a lease. Requests
 * still fail over between hosts (etcd3's global retry). A broken watch stream reconnects
 * every retry interval, not after up to 30 s. Deadlines are set per request by the caller.
 * With `auth`, etcd3 authenticates and renews its token itself; with `credentials` it speaks
 * TLS (etcdConnectionOf of @nestmesh/common reads both from the URL).
 */
export function createEtcdClient(
  { hosts, auth, credentials, grpcOptions }: EtcdConnection,
  retryIntervalMs: number,
): Etcd3 {
  return new Etcd3({
    hosts,
    auth,
    credentials,
    grpcOptions,
    faultHandling: { host: () => passThrough, watchBackoff: constantBackoff(retryIntervalMs) },
  });
}

/**
 * Waits on `watcher` until `done` is emitted, then cancels it. Rejects when the watch breaks
 * (disconnect, error) or `signal` aborts: etcd3 would resume it later, but the caller reads
 * again instead, so that nothing seen while etcd was unreachable is trusted.
 */
export async function watchUntil(watcher: Watcher, signal: AbortSignal, done?: 'delete'): Promise<void> {
  let onAbort = (): void => undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      if (done) watcher.on(done, () => resolve());
      watcher.on('disconnected', reject).on('error', reject);
      onAbort = () => reject(signal.reason);
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
  } finally {
    signal.removeEventListener('abort', onAbort);
    // Not awaited: with etcd down the cancel request itself would wait for it.
    watcher.cancel().catch(() => undefined);
  }
}
