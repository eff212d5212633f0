import type { Lease } from 'etcd3';

export interface LeaseRenewalOptions {
  ttlSeconds: number;
  /** Deadline of one keep-alive request, in ms. */
  requestTimeoutMs: number;
  /** Pause before retrying a keep-alive that failed, in ms. */
  retryIntervalMs: number;
  /** Called once when no keep-alive was confirmed for 2 TTLs (the lease is then released). */
  onUnconfirmed: (error: Error) => void;
}

/**
 * Renews a granted `lease` every TTL/3 with one keep-alive request each (etcd3's
 * `keepaliveOnce`: it goes to any live member, failing over like every request), retried every
 * `retryIntervalMs` after a failure, until the lease is released or revoked. When etcd answers
 * that the lease expired, etcd3 emits the lease's 'lost'. When no renewal was confirmed for 2
 * TTLs (etcd3's own rule) it releases the lease and calls `onUnconfirmed`.
 *
 * etcd3's automatic keep-alive is not used: when its keep-alive stream breaks with two errors
 * (a killed member: the stream's error, then another on ending it) it starts a second loop,
 * and the first loop's interval timer is never cleared — renewing forever, and keeping the
 * process of a closed registry alive (etcd3 1.1.2, seen killing etcd cluster members).
 */
export function renewLease(
  lease: Lease,
  { ttlSeconds, requestTimeoutMs, retryIntervalMs, onUnconfirmed }: LeaseRenewalOptions,
): void {
  const ttlMs = ttlSeconds * 1000;
  let confirmedAt = performance.now();
  const renewIn = (ms: number) => {
    // Unref'd: a registration alone does not keep the process alive (its server does).
    setTimeout(() => void renew(), ms).unref();
  };
  const renew = async () => {
    if (lease.revoked()) return; // released, revoked, or lost
    const sentAt = performance.now();
    try {
      await lease.keepaliveOnce({ deadline: Date.now() + requestTimeoutMs });
      confirmedAt = sentAt;
      renewIn(ttlMs / 3);
    } catch {
      if (lease.revoked()) return; // etcd answered it expired: 'lost' was emitted
      if (performance.now() - confirmedAt < 2 * ttlMs) return renewIn(retryIntervalMs);
      lease.release();
      onUnconfirmed(new Error(`no keep-alive confirmed for ${2 * ttlSeconds} s`));
    }
  };
  renewIn(ttlMs / 3);
}
