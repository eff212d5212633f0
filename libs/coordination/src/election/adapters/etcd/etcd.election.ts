import { etcdAuthFailure, type EtcdTlsCredentials } from '@nestmesh/common';
import type { Etcd3, Namespace } from 'etcd3';
import { EventEmitter, on } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';

import { ElectionUnavailableError, InvalidElectionOptionsError } from '../../../coordination.errors.js';
import {
  electionTiming,
  leaderIdentity,
  leadershipRecord,
  sinceOf,
  validateName,
  withSince,
  type CampaignOptions,
  type ElectionTiming,
  type LeaderElection,
  type LeaderInfo,
  type Leadership,
  type ObserveOptions,
} from '../../leader-election.js';
import { createEtcdClient, watchUntil } from './etcd.client.js';
import { electionPrefix, infoOf, oldest, readLeader, sinceKey } from './etcd.keys.js';
import { CandidateLease, EtcdLeadership } from './etcd.leadership.js';

export interface EtcdLeaderElectionOptions {
  /** Client URLs, e.g. `['http://127.0.0.1:2379']`; unused when `client` is given. */
  hosts: string[];
  group: string;
  /** Default DEFAULT_ELECTION_TIMING; `ttlMs` must be whole seconds, at least 2000. */
  timing?: Partial<ElectionTiming>;
  /** Deadline of each etcd request, in ms. Default 1000. */
  requestTimeoutMs?: number;
  /** etcd user and password (etcd auth), for the client built from `hosts`. */
  auth?: { username: string; password: string };
  /** TLS to etcd (etcd3's `credentials`), for the client built from `hosts` (https:// ones). */
  credentials?: EtcdTlsCredentials;
  /** Extra gRPC channel options of that client (`grpc.ssl_target_name_override`). */
  grpcOptions?: Record<string, string>;
  /** The URL as errors show it (redacted by them). Default `etcd://<hosts>`. */
  url?: string;
  /**
   * A client to use instead of one built from `hosts`; close() leaves it open. Its fault
   * handling is used as is: etcd3's default circuit breaker can hold a campaign for up to 5 s
   * after an outage (see createEtcdClient).
   */
  client?: Etcd3;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 1000;

/**
 * etcd leases are whole seconds, and etcd 3.4 (default 100 ms heartbeat, 10 election ticks)
 * grants none shorter than 1.5 s, rounded up: a 1 s lease came back with TTL 2 and expired
 * 2.0 s after its grant on etcd 3.4.23. A shorter ttlMs would be silently lengthened.
 */
const MIN_TTL_MS = 2000;

/** Rejects with the signal's reason when it aborts first. */
async function delay(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await sleep(ms, undefined, { signal });
  } catch {
    throw signal.reason;
  }
}

/**
 * Leader election on etcd v3, the protocol of etcd's own `concurrency.Election`: each campaign
 * grants a lease and puts `nestmesh/election/<group>/<lease id in hex>` = candidate id under
 * it; the oldest key leads, and each candidate watches the next older key for its deletion.
 * It is the key layout of Go's `concurrency.NewElection(session, 'nestmesh/election/<group>')`,
 * whose Leader/Observe (and `etcdctl elect -l`) see the same leader. The epoch is the leader
 * key's create revision. etcd3's Campaign is not used: resigned while waiting it still emits
 * `elected`, and its watch cannot be cancelled and outlives `client.close()`.
 *
 * Keep-alives go out every TTL/3, and every retry interval after a failure; the leader
 * demotes itself `renewDeadlineMs` after the send time of the last confirmed one.
 * A resign revokes the lease, so the next candidate leads within milliseconds; a crashed
 * leader's key goes when etcd expires its lease (TTL after the last renewal, plus up to
 * 0.5 s of etcd's expiry check).
 */
export class EtcdLeaderElection implements LeaderElection {
  readonly group: string;
  readonly timing: ElectionTiming;
  private readonly client: Etcd3;
  /** The URL as errors show it (redacted there). */
  private readonly name: string;
  private readonly ownsClient: boolean;
  private readonly namespace: Namespace;
  private readonly requestTimeoutMs: number;
  private readonly closed = new AbortController();
  private readonly leaderships = new Set<EtcdLeadership>();
  /** Leases of campaigns and leaderships, revoked by close(). */
  private readonly candidates = new Set<CandidateLease>();
  /** Campaign tries, observers and revokes: close() waits for them before closing the client. */
  private readonly running = new Set<Promise<void>>();

  constructor(options: EtcdLeaderElectionOptions) {
    this.group = validateName('group', options.group);
    this.timing = electionTiming(options.timing);
    const { ttlMs, retryIntervalMs } = this.timing;
    if (ttlMs % 1000 !== 0 || ttlMs < MIN_TTL_MS)
      throw new InvalidElectionOptionsError(
        'ttlMs',
        `must be whole seconds, at least ${MIN_TTL_MS} (etcd leases), got ${ttlMs}`,
      );
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    if (!Number.isFinite(this.requestTimeoutMs) || this.requestTimeoutMs <= 0)
      throw new InvalidElectionOptionsError(
        'requestTimeoutMs',
        `must be a positive number of ms, got ${this.requestTimeoutMs}`,
      );
    if (!options.client && !options.hosts?.length)
      throw new InvalidElectionOptionsError('hosts', 'must name at least one etcd client URL');
    this.ownsClient = !options.client;
    this.name =
      options.url ??
      `etcd://${(options.hosts ?? []).map((host) => host.replace(/^https?:\/\//, '')).join(',')}`;
    this.client = options.client ?? createEtcdClient(options, retryIntervalMs);
    this.namespace = this.client.namespace(electionPrefix(this.group));
  }

  /** Aborting `signal`, or close(), stops campaigning; campaign() then rejects with the reason. */
  async campaign(candidateId: string, { signal }: CampaignOptions = {}): Promise<Leadership> {
    validateName('candidateId', candidateId);
    const stop = signal ? AbortSignal.any([signal, this.closed.signal]) : this.closed.signal;
    for (;;) {
      stop.throwIfAborted();
      try {
        const leadership = await this.track(this.attempt(candidateId, stop));
        if (leadership) return leadership;
      } catch (error) {
        // Refused credentials do not get better by waiting: the campaign fails with them.
        const refused = etcdAuthFailure(this.name, error);
        if (refused) throw refused;
        // etcd unreachable, or the lease lost while waiting: a campaign outlives outages.
      }
      // Jittered so that candidates started together do not retry in lockstep.
      await delay(this.timing.retryIntervalMs * (0.8 + Math.random() * 0.4), stop);
    }
  }

  async leader(): Promise<LeaderInfo | undefined> {
    try {
      return (await readLeader(this.client, this.group, () => this.deadline())).leader;
    } catch (error) {
      throw etcdAuthFailure(this.name, error) ?? new ElectionUnavailableError(this.group, error);
    }
  }

  /**
   * Startup check: one read under the request deadline. Rejects with BackendAuthError when etcd
   * refuses the credentials; resolves on anything else (etcd away is not a configuration error).
   */
  async credentialsChecked(): Promise<void> {
    try {
      await this.client.get(sinceKey(this.group)).options(this.deadline()).exists();
    } catch (error) {
      const refused = etcdAuthFailure(this.name, error);
      if (refused) throw refused;
    }
  }

  /** Aborting `signal`, or close(), ends the iteration. */
  async *observe({ signal }: ObserveOptions = {}): AsyncIterable<LeaderInfo | undefined> {
    const ended = new AbortController();
    const stop = AbortSignal.any([ended.signal, this.closed.signal, ...(signal ? [signal] : [])]);
    const changes = new EventEmitter();
    void this.track(this.follow(stop, (leader) => changes.emit('leader', leader)));
    const leaders = on(changes, 'leader', { signal: stop }) as AsyncIterable<[LeaderInfo | undefined]>;
    let last: string | undefined;
    try {
      for await (const [leader] of leaders) {
        const id = leaderIdentity(leader);
        if (id !== last) yield leader;
        last = id;
      }
    } catch (error) {
      if (!stop.aborted) throw error; // else the AbortError of on(): the iteration just ends
    } finally {
      ended.abort();
    }
  }

  async close(): Promise<void> {
    if (this.closed.signal.aborted) return;
    this.closed.abort(new Error(`election ${this.group} closed`));
    for (const leadership of this.leaderships) void leadership.close();
    for (const candidate of this.candidates) void this.release(candidate);
    while (this.running.size > 0) await Promise.all(this.running);
    if (this.ownsClient) this.client.close();
  }

  private deadline(): { deadline: number } {
    return { deadline: Date.now() + this.requestTimeoutMs };
  }

  private track<T>(work: Promise<T>): Promise<T> {
    const settled = work.then(
      () => undefined,
      () => undefined,
    );
    this.running.add(settled);
    void settled.then(() => this.running.delete(settled));
    return work;
  }

  /** One try: a lease and a key under it, then the wait until every older key is gone. */
  private async attempt(candidateId: string, stop: AbortSignal): Promise<Leadership | undefined> {
    const candidate = new CandidateLease(this.client, this.timing, this.requestTimeoutMs);
    this.candidates.add(candidate);
    let leadership: EtcdLeadership | undefined;
    try {
      const leaseId = await candidate.grant();
      const key = BigInt(leaseId).toString(16);
      const put = await this.namespace
        .put(key)
        .value(candidateId)
        .lease(leaseId)
        .options(this.deadline())
        .exec();
      const epoch = BigInt(put.header.revision);
      await this.waitForOlderKeys(epoch, AbortSignal.any([stop, candidate.lost]));
      // Won too late to act on (the lease unconfirmed for too long), or no longer wanted.
      const since = new Date();
      const stale = performance.now() - candidate.confirmedAt >= this.timing.renewDeadlineMs;
      if (stale || stop.aborted || candidate.lost.aborted) return undefined;
      const watcher = this.namespace.watch().key(key).only('delete').startRevision(String(epoch)).watcher();
      leadership = new EtcdLeadership(
        this.group,
        candidateId,
        epoch,
        since,
        candidate,
        watcher,
        this.timing.renewDeadlineMs,
        (l) => {
          this.leaderships.delete(l);
          void this.release(candidate);
        },
      );
      this.leaderships.add(leadership);
      await this.recordSince(key, epoch, since);
      return leadership;
    } finally {
      if (!leadership) void this.release(candidate);
    }
  }

  /**
   * Records when the leadership of `epoch` began, only while its key is still there (a txn):
   * a newer leader needs that key gone first, so a late record never overwrites a newer one.
   * Not recorded (etcd away for that request): `since` stays unknown.
   */
  private async recordSince(key: string, epoch: bigint, since: Date): Promise<void> {
    await this.namespace
      .if(key, 'Create', '==', String(epoch))
      .then(this.client.put(sinceKey(this.group)).value(leadershipRecord(epoch, since)))
      .options(this.deadline())
      .commit()
      .catch(() => undefined);
  }

  private release(candidate: CandidateLease): Promise<void> {
    return this.track(candidate.revoke().then(() => void this.candidates.delete(candidate)));
  }

  /** Resolves once no key created before `epoch` is left; the next older one is watched. */
  private async waitForOlderKeys(epoch: bigint, signal: AbortSignal): Promise<void> {
    for (;;) {
      signal.throwIfAborted();
      try {
        const older = await this.namespace
          .getAll()
          .maxCreateRevision(String(epoch - 1n))
          .sort('Create', 'Descend')
          .limit(1)
          .options(this.deadline())
          .exec();
        const previous = older.kvs[0];
        if (!previous) return;
        const watcher = this.namespace
          .watch()
          .key(previous.key)
          .only('delete')
          .startRevision(String(BigInt(older.header.revision) + 1n))
          .watcher();
        await watchUntil(watcher, signal, 'delete');
      } catch {
        // etcd unreachable: the key keeps its place while its lease lives; look again.
        await delay(this.timing.retryIntervalMs, signal);
      }
    }
  }

  /**
   * Lists the candidates and the leadership record, follows both, and lists again after a
   * break. Never rejects.
   */
  private async follow(stop: AbortSignal, publish: (leader: LeaderInfo | undefined) => void): Promise<void> {
    while (!stop.aborted) {
      const round = new AbortController();
      const watching: Promise<void>[] = [];
      try {
        const listing = await this.namespace.getAll().options(this.deadline()).exec();
        let record = await this.client
          .get(sinceKey(this.group))
          .revision(listing.header.revision)
          .options(this.deadline())
          .string();
        const candidates = new Map(listing.kvs.map((kv) => [kv.key.toString(), infoOf(kv)]));
        const current = () => {
          const leader = oldest(candidates.values());
          return leader && withSince(leader, sinceOf(record, leader.epoch));
        };
        publish(current());
        const from = String(BigInt(listing.header.revision) + 1n);
        const keys = this.namespace.watch().prefix('').startRevision(from).watcher();
        keys.on('put', (kv) => publish((candidates.set(kv.key.toString(), infoOf(kv)), current())));
        keys.on('delete', (kv) => publish((candidates.delete(kv.key.toString()), current())));
        const records = this.client.watch().key(sinceKey(this.group)).startRevision(from).watcher();
        records.on('put', (kv) => publish(((record = kv.value.toString()), current())));
        const ended = AbortSignal.any([stop, round.signal]);
        watching.push(watchUntil(keys, ended), watchUntil(records, ended));
        await Promise.race(watching);
      } catch {
        // etcd unreachable or a watch broke: the last answer stands until a new listing.
      } finally {
        round.abort();
        await Promise.allSettled(watching);
      }
      await sleep(this.timing.retryIntervalMs, undefined, { signal: stop }).catch(() => undefined);
    }
  }
}
