import { Etcd3, type IOptions } from 'etcd3';

import {
  DEFAULT_ETCD_KEEPALIVE_MS,
  DEFAULT_ETCD_REQUEST_TIMEOUT_MS,
  ETCD_WATCH_RECONNECT_MS,
} from './etcd.constants.js';
import type { EtcdRegistryOptions } from './etcd.options.js';
import { requireLeader } from './etcd.require-leader.js';

type FaultHandling = NonNullable<IOptions['faultHandling']>;
type WatchBackoff = NonNullable<FaultHandling['watchBackoff']>;

/** etcd3's watch reconnection backoff: always `ms`. */
function constantBackoff(ms: number): WatchBackoff {
  const backoff: WatchBackoff = { duration: ms, next: () => backoff };
  return backoff;
}

/**
 * A host policy that only runs the call: no circuit breaker. etcd3's default one stops calling
 * a member for 5 s after three failures in a row; on a cluster that just lost its Raft leader,
 * the survivors answer "no leader" for about an election timeout, so their breakers opened too
 * and every request failed for 5 s although a new leader was elected in one. Requests still
 * fail over between members (etcd3's global retry, up to 4 attempts over the shuffled members).
 * The election client makes the same choice (coordination's etcd.client.ts).
 */
const passThrough: ReturnType<NonNullable<FaultHandling['host']>> = {
  _altReturn: undefined as never, // type-only member of cockatiel's IPolicy
  onSuccess: () => ({ dispose: () => undefined }),
  onFailure: () => ({ dispose: () => undefined }),
  async execute(run, signal) {
    return run({ signal: signal ?? new AbortController().signal });
  },
};

/** The etcd3 client of an EtcdRegistry. */
export function createRegistryClient(options: EtcdRegistryOptions): Etcd3 {
  const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_ETCD_REQUEST_TIMEOUT_MS;
  return new Etcd3({
    hosts: options.hosts,
    auth: options.auth,
    credentials: options.credentials,
    // Unary requests (and keep-alives) get a deadline so a down etcd fails them instead of
    // hanging; watch streams live as long as the client. Watches require a leader, so that a
    // member cut off from the quorum ends them rather than serve a stale view; other requests
    // wait for a leader within their deadline (an election takes about one election timeout).
    defaultCallOptions: (context) => {
      if (context.service === 'Watch') return { interceptors: [requireLeader] };
      return context.isStream ? {} : { deadline: Date.now() + requestTimeoutMs };
    },
    faultHandling: { host: () => passThrough, watchBackoff: constantBackoff(ETCD_WATCH_RECONNECT_MS) },
    grpcOptions: {
      ...options.grpcOptions,
      'grpc.keepalive_time_ms': options.keepaliveMs ?? DEFAULT_ETCD_KEEPALIVE_MS,
      'grpc.keepalive_timeout_ms': requestTimeoutMs,
    },
  });
}
