import { randomUUID } from 'node:crypto';

import { InvalidLockOptionsError, LockUnavailableError } from '../../../coordination.errors.js';
import { leadershipRecord, sinceOf } from '../../../election/leader-election.js';
import type { LeaseBackend } from '../../lock-backend.js';
import { nodeId, OwnedNodes, type QueueNode } from './zookeeper.owned-nodes.js';
import { DoomedNodes, attemptPrefix, inQueueOrder, untilGone } from './zookeeper.queue.js';
import { czxidOf, type Stat, ZookeeperSession } from './zookeeper.session.js';

/** Where lock queues live (under the URL's chroot); elections use `/nestmesh/election`. */
export const ZOOKEEPER_LOCK_ROOT = '/nestmesh/lock';

export interface ZookeeperLockBackendOptions {
  /** `host:port[,host:port…][/chroot]`. */
  connectionString: string;
  /** The session timeout asked for, in ms (the server may grant another within its bounds). */
  sessionTimeoutMs: number;
  /** Deadline of each request, in ms. */
  requestTimeoutMs: number;
  /** Default ZOOKEEPER_LOCK_ROOT. */
  root?: string;
}

/**
 * Locks on ZooKeeper's recipe: `acquire` creates an ephemeral sequential node under the key's
 * node (data: the owner); the first in sequence order holds the lock, and its fencing token is
 * the node's creation zxid (czxid), which exceeds that of every node created before it —
 * whatever happened to the key's node meanwhile. A queued acquire waits watching only its
 * predecessor, so a release wakes one waiter, not all. The session is the lease: a crashed or
 * paused holder's node goes when its session expires. `ttlMs` bounds the local lease and may not
 * exceed the session timeout the server granted (InvalidLockOptionsError): the lease a holder
 * believes in must end before ZooKeeper could hand the lock to another. A lease left to run
 * out (its renewals stopped) has its node deleted at `ttlMs`.
 */
export class ZookeeperLockBackend implements LeaseBackend {
  private readonly session: ZookeeperSession;
  private readonly root: string;
  private readonly doomed: DoomedNodes;
  private readonly nodes: OwnedNodes;
  /** Aborted (and replaced) when the session expires, aborted by close(): ends every wait. */
  private interrupt = new AbortController();
  private closed = false;

  constructor(options: ZookeeperLockBackendOptions) {
    this.root = options.root ?? ZOOKEEPER_LOCK_ROOT;
    this.session = new ZookeeperSession(options);
    this.doomed = new DoomedNodes(this.session);
    this.nodes = new OwnedNodes(this.doomed);
    this.session.onExpired((expired) => {
      this.nodes.sessionExpired(expired);
      this.interrupt.abort();
      this.interrupt = new AbortController();
    });
  }

  async acquire(key: string, owner: string, ttlMs: number): Promise<bigint | undefined> {
    const sentAt = performance.now();
    const node = await this.enqueue(key, owner, ttlMs);
    try {
      // Both at once (one round trip): the queue, and the node's czxid should it be first.
      const [names, stat] = await Promise.all([
        this.session.children(node.parent),
        this.session.exists(node.path),
      ]);
      if (inQueueOrder(names)[0] !== node.name) {
        this.nodes.forget(node);
        await this.doomed.remove(node.path, node.session);
        return undefined;
      }
      return this.hold(node, stat, sentAt, ttlMs);
    } catch (error) {
      this.nodes.giveUp(node);
      throw this.unavailable(key, error);
    }
  }

  async acquireQueued(
    key: string,
    owner: string,
    ttlMs: number,
    { waitMs, signal, now }: { waitMs: number; signal?: AbortSignal; now: () => number },
  ): Promise<{ token: bigint; confirmedAt: number } | undefined> {
    signal?.throwIfAborted();
    const giveUpAt = now() + waitMs;
    const node = await this.enqueue(key, owner, ttlMs);
    let granted = false;
    try {
      for (;;) {
        signal?.throwIfAborted();
        if (this.closed) throw new Error('the backend is closed');
        if (node.session !== this.session.sessionNumber) throw new Error('the ZooKeeper session expired');
        const confirmedAt = now();
        const sentAt = performance.now();
        const names = inQueueOrder(await this.session.children(node.parent));
        const place = names.indexOf(node.name);
        if (place < 0) throw new Error('its queue node is gone (session expired)');
        if (place === 0) {
          const token = this.hold(node, await this.session.exists(node.path), sentAt, ttlMs);
          granted = true;
          return { token, confirmedAt };
        }
        const leftMs = giveUpAt - now();
        if (leftMs <= 0) return undefined;
        // Only the predecessor is watched: its deletion wakes this waiter and no other. A watch
        // is delivered across reconnections; a look every session timeout covers the rest.
        const recheckMs = this.session.negotiatedTimeoutMs ?? 10_000;
        await this.untilGone(`${node.parent}/${names[place - 1]}`, Math.min(leftMs, recheckMs), signal);
      }
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw error instanceof LockUnavailableError ? error : this.unavailable(key, error);
    } finally {
      if (!granted) this.nodes.giveUp(node);
    }
  }

  async extend(key: string, owner: string, ttlMs: number): Promise<boolean> {
    const node = this.nodes.get(key, owner);
    if (!node || node.expiresAt === undefined) return false;
    if (performance.now() >= node.expiresAt || node.session !== this.session.sessionNumber) {
      this.nodes.giveUp(node);
      return false;
    }
    const sentAt = performance.now();
    let stat;
    try {
      stat = await this.session.exists(node.path);
    } catch (error) {
      throw this.unavailable(key, error);
    }
    // Gone meanwhile (session expired, deleted by another client, ran out while asking).
    if (!stat || !this.nodes.owns(node) || node.session !== this.session.sessionNumber) {
      this.nodes.giveUp(node);
      return false;
    }
    this.nodes.arm(node, sentAt + ttlMs);
    return true;
  }

  async release(key: string, owner: string): Promise<void> {
    const node = this.nodes.get(key, owner);
    if (!node) return;
    this.nodes.forget(node);
    await this.doomed.remove(node.path, node.session);
  }

  /**
   * The first node of `key`'s queue: its owner (the node's data), czxid and, when recorded
   * (recordLeadership), since when it leads.
   */
  async holder(key: string): Promise<{ owner: string; token: bigint; since?: Date } | undefined> {
    const parent = this.parentOf(key);
    try {
      // The first may go between the listing and the read: look again (a few times at most).
      for (let attempt = 0; attempt < 3; attempt++) {
        const [names, record] = await Promise.all([this.session.children(parent), this.session.data(parent)]);
        const [first] = inQueueOrder(names);
        if (first === undefined) return undefined;
        const read = await this.session.data(`${parent}/${first}`);
        if (!read) continue;
        const token = czxidOf(read.stat);
        const since = sinceOf(record?.data, token);
        return since ? { owner: read.data, token, since } : { owner: read.data, token };
      }
      return undefined;
    } catch (error) {
      throw this.unavailable(key, error);
    }
  }

  /**
   * Records `since` as the start of the leadership of `token` (elections), as the data of the
   * key's node (`<token>:<ms>`), while `token`'s node is still there. A record written late by
   * a replaced leader names its own token, which holder() then ignores: `since` is unknown
   * rather than wrong.
   */
  async recordLeadership(key: string, token: bigint, since: Date): Promise<void> {
    const parent = this.parentOf(key);
    const [first] = inQueueOrder(await this.session.children(parent));
    const read = first === undefined ? undefined : await this.session.data(`${parent}/${first}`);
    if (read && czxidOf(read.stat) === token)
      await this.session.setData(parent, leadershipRecord(token, since));
  }

  /** Resolves when the first of `key`'s queue goes (a watch), after `maxMs`, or when `signal` aborts. */
  async waitForRelease(key: string, maxMs: number, signal?: AbortSignal): Promise<void> {
    const parent = this.parentOf(key);
    try {
      const [first] = inQueueOrder(await this.session.children(parent));
      if (first !== undefined) await this.untilGone(`${parent}/${first}`, maxMs, signal);
    } catch {
      // ZooKeeper away: the caller's next attempt reports it.
    }
  }

  /** The session timeout the server granted, in ms; undefined before the first session. */
  get sessionTimeoutMs(): number | undefined {
    return this.session.negotiatedTimeoutMs;
  }

  /** Resolves once a session is established, or after `timeoutMs` (never rejects). */
  connected(timeoutMs: number): Promise<void> {
    return this.session.connected(timeoutMs);
  }

  /** Nodes this backend created and still has to delete (tests: nothing may be left behind). */
  get pendingDeletions(): number {
    return this.doomed.size;
  }

  /** Ends the session (its nodes go at once) and every wait; nothing is left running. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.nodes.clear();
    this.interrupt.abort();
    this.doomed.close();
    await this.session.close();
  }

  private parentOf(key: string): string {
    // Any key as one node name: no `/`, and never `.` or `..`.
    const name = encodeURIComponent(key).replace(/^\.{1,2}$/, (dots) => dots.replaceAll('.', '%2E'));
    return `${this.root}/${name}`;
  }

  /** Creates this owner's node in `key`'s queue; a create whose answer was lost is cleaned up. */
  private async enqueue(key: string, owner: string, ttlMs: number): Promise<QueueNode> {
    this.checkTtl(ttlMs);
    if (this.closed) throw this.unavailable(key, new Error('the backend is closed'));
    this.nodes.giveUpExpired(key);
    const parent = this.parentOf(key);
    const prefix = attemptPrefix(randomUUID());
    const session = this.session.sessionNumber;
    let path: string;
    try {
      path = await this.session.createEphemeralSequential(parent, prefix, owner);
    } catch (error) {
      this.doomed.lostCreate(parent, prefix, session);
      throw this.unavailable(key, error);
    }
    const id = nodeId(key, owner);
    const node: QueueNode = { id, key, parent, path, name: path.slice(parent.length + 1), session };
    this.nodes.add(node);
    try {
      this.checkTtl(ttlMs); // the session timeout is known for sure once a request went through
    } catch (error) {
      this.nodes.giveUp(node);
      throw error;
    }
    return node;
  }

  /** The lock is held from `sentAt` (performance.now()) for `ttlMs`; returns its token. */
  private hold(node: QueueNode, stat: Stat | undefined, sentAt: number, ttlMs: number): bigint {
    if (!stat) throw new Error('its queue node is gone (session expired)');
    node.token = czxidOf(stat);
    this.nodes.arm(node, sentAt + ttlMs);
    return node.token;
  }

  /** A lease may not outlive the session that holds it. */
  private checkTtl(ttlMs: number): void {
    const sessionMs = this.session.negotiatedTimeoutMs;
    if (sessionMs !== undefined && ttlMs > sessionMs)
      throw new InvalidLockOptionsError(
        'ttlMs',
        `must not exceed the ZooKeeper session timeout the server granted (${sessionMs} ms), got ${ttlMs}: a lease cannot outlive the session that holds it (ask for a longer one with ?sessionTimeout=, within the server's maxSessionTimeout)`,
      );
  }

  /** Waits on `path` (untilGone), ended also by session expiry or close. */
  private untilGone(path: string, maxMs: number, signal?: AbortSignal): Promise<void> {
    const interrupted = this.interrupt.signal;
    return untilGone(
      this.session,
      path,
      maxMs,
      signal ? AbortSignal.any([signal, interrupted]) : interrupted,
    );
  }

  private unavailable(key: string, error: unknown): Error {
    if (error instanceof InvalidLockOptionsError || error instanceof LockUnavailableError) return error;
    return new LockUnavailableError(key, error);
  }
}
