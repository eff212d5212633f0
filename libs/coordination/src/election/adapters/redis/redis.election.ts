import { InvalidElectionOptionsError } from '../../../coordination.errors.js';
import { RedisLockBackend } from '../../../lock/adapters/redis/redis.lock-backend.js';
import { electionTiming, validateName, type ElectionTiming } from '../../leader-election.js';
import { LeaseLeaderElection } from '../../lease-election.js';

/** Election leases live under their own prefix, apart from locks. */
export const ELECTION_KEY_PREFIX = 'nestmesh:election:';
const DEFAULT_REQUEST_TIMEOUT_MS = 500;

export interface RedisLeaderElectionOptions {
  /** `redis[s]://[user:password@]host:6379[/db][?ca=&cert=&key=]` (see createRedisClient). */
  url: string;
  group: string;
  /** Default DEFAULT_ELECTION_TIMING. */
  timing?: Partial<ElectionTiming>;
  /** Replicas a won lease must reach before it counts (see RedisLockBackendOptions.replicas). Default 0. */
  replicas?: number;
  /** Deadline of each Redis command, in ms. Default 500. */
  requestTimeoutMs?: number;
}

/**
 * Leader election on one Redis: the lease is the lock script on `nestmesh:election:{<group>}`,
 * the epoch the key's fence counter, and releases are announced so that followers try at once
 * (see docs/coordination.md). It owns its connections: close() closes them.
 */
export class RedisLeaderElection extends LeaseLeaderElection {
  constructor(options: RedisLeaderElectionOptions) {
    // Checked before the client is made: a refused option must not leave a connection open.
    const group = validateName('group', options.group);
    const timing = electionTiming(options.timing);
    const commandTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    if (!Number.isFinite(commandTimeoutMs) || commandTimeoutMs <= 0)
      throw new InvalidElectionOptionsError(
        'requestTimeoutMs',
        `must be a positive number of ms, got ${commandTimeoutMs}`,
      );
    const backend = new RedisLockBackend({
      url: options.url,
      prefix: ELECTION_KEY_PREFIX,
      announceReleases: true,
      commandTimeoutMs,
      replicas: options.replicas,
    });
    super(backend, group, timing, true);
    this.leases = backend;
  }

  private readonly leases: RedisLockBackend;

  /** Startup check: rejects with BackendAuthError when Redis refuses the URL's credentials. */
  credentialsChecked(): Promise<void> {
    return this.leases.credentialsChecked();
  }
}
