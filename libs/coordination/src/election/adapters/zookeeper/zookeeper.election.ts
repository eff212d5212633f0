import { InvalidElectionOptionsError } from '../../../coordination.errors.js';
import { ZookeeperLockBackend } from '../../../lock/adapters/zookeeper/zookeeper.lock-backend.js';
import { DEFAULT_ZOOKEEPER_REQUEST_TIMEOUT_MS } from '../../../lock/adapters/zookeeper/zookeeper.url.js';
import { electionTiming, validateName, type ElectionTiming } from '../../leader-election.js';
import { LeaseLeaderElection } from '../../lease-election.js';

/** Where election queues live (under the URL's chroot), apart from locks. */
export const ZOOKEEPER_ELECTION_ROOT = '/nestmesh/election';

/** How long the startup check waits for the first session, in ms: past it, the election starts anyway. */
const STARTUP_CHECK_MS = 5000;

export interface ZookeeperLeaderElectionOptions {
  /** `host:port[,host:port…][/chroot]`. */
  connectionString: string;
  group: string;
  /** Default DEFAULT_ELECTION_TIMING. */
  timing?: Partial<ElectionTiming>;
  /** Deadline of each request, in ms. Default 1000. */
  requestTimeoutMs?: number;
  /** The session timeout asked for, in ms. Default (and minimum) the timing's `ttlMs`. */
  sessionTimeoutMs?: number;
}

/**
 * Leader election on ZooKeeper: each campaign is a place in the group's queue (an ephemeral
 * sequential node under `/nestmesh/election/<group>`, data `<candidate>/<uuid>`) that watches
 * only the one ahead of it; the first leads, its epoch is its node's czxid. The leadership is
 * the lease-based one of Redis and memory (LeaseLeaderElection: renewals every TTL/3, demotion
 * at the renew deadline), so its signal means the same on every backend. A crashed leader's
 * node goes when its session expires: the session timeout is what failover takes.
 */
export class ZookeeperLeaderElection extends LeaseLeaderElection {
  private readonly leases: ZookeeperLockBackend;

  constructor(options: ZookeeperLeaderElectionOptions) {
    // Checked before the client is made: a refused option must not leave a connection open.
    const group = validateName('group', options.group);
    const timing = electionTiming(options.timing);
    const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_ZOOKEEPER_REQUEST_TIMEOUT_MS;
    if (!Number.isFinite(requestTimeoutMs) || requestTimeoutMs <= 0)
      throw new InvalidElectionOptionsError(
        'requestTimeoutMs',
        `must be a positive number of ms, got ${requestTimeoutMs}`,
      );
    const sessionTimeoutMs = options.sessionTimeoutMs ?? timing.ttlMs;
    if (sessionTimeoutMs < timing.ttlMs)
      throw new InvalidElectionOptionsError(
        'sessionTimeout',
        `${sessionTimeoutMs} ms is shorter than ttlMs ${timing.ttlMs}: a leadership cannot outlive the session that holds it`,
      );
    const backend = new ZookeeperLockBackend({
      connectionString: options.connectionString,
      sessionTimeoutMs,
      requestTimeoutMs,
      root: ZOOKEEPER_ELECTION_ROOT,
    });
    super(backend, group, timing, true);
    this.leases = backend;
  }

  /**
   * Startup check: waits (up to 5 s) for the first session and refuses a session timeout
   * shorter than `ttlMs` (the server's maxSessionTimeout clamps what is asked for) with
   * InvalidElectionOptionsError. ZooKeeper away is not a configuration error: it resolves.
   */
  async startupChecked(): Promise<void> {
    await this.leases.connected(STARTUP_CHECK_MS);
    const grantedMs = this.leases.sessionTimeoutMs;
    if (grantedMs !== undefined && grantedMs < this.timing.ttlMs)
      throw new InvalidElectionOptionsError(
        'ttlMs',
        `${this.timing.ttlMs} exceeds the ZooKeeper session timeout the server granted (${grantedMs} ms): a leadership cannot outlive the session that holds it (lower ttlMs, or raise the server's maxSessionTimeout)`,
      );
  }
}
