import { redactUrl } from '@nestmesh/common';
import { trace } from '@opentelemetry/api';
import {
  ATTR_NESTMESH_REDLOCK_ERROR,
  ATTR_NESTMESH_REDLOCK_NODE,
  ATTR_NESTMESH_REDLOCK_OPERATION,
  ATTR_NESTMESH_REDLOCK_OUTCOME,
  EVENT_NESTMESH_REDLOCK_NODE,
} from '@nestmesh/telemetry';

import { LockUnavailableError } from '../../../coordination.errors.js';
import type { LockBackend } from '../../lock-backend.js';
import { RedisLockBackend } from './redis.lock-backend.js';

export interface RedlockBackendOptions {
  /** Independent Redis masters (at least 3, preferably an odd number). */
  urls: string[];
  /** Per-node deadline, in ms. Default 100: a slow node is a failed node. */
  commandTimeoutMs?: number;
  /** Clock drift allowance as a fraction of the TTL (plus 2 ms). Default 0.01. */
  driftFactor?: number;
}

/** What one node answered: its value, or the error it failed with (whatever its value). */
type Outcome<T> = { node: string } & ({ failed: false; value: T } | { failed: true; error: unknown });

/** What a node's answer was, as its `redlock.node` span event says. */
type NodeOutcome = 'granted' | 'held' | 'refused' | 'failed';

/**
 * Adds a `redlock.node` event per node to the active span (the lock's acquire or hold span),
 * for the nodes `worth` telling: all of them on an acquire, those that refused or failed on a
 * renewal or release, where the rest is the expected answer.
 */
function nodeEvents<T>(
  operation: 'acquire' | 'raise-fence' | 'extend' | 'release',
  outcomes: Outcome<T>[],
  outcomeOf: (value: T) => NodeOutcome,
  worth: (outcome: NodeOutcome) => boolean = () => true,
): void {
  const span = trace.getActiveSpan();
  if (!span?.isRecording()) return;
  for (const outcome of outcomes) {
    const said = outcome.failed ? 'failed' : outcomeOf(outcome.value);
    if (!worth(said)) continue;
    span.addEvent(EVENT_NESTMESH_REDLOCK_NODE, {
      [ATTR_NESTMESH_REDLOCK_NODE]: outcome.node,
      [ATTR_NESTMESH_REDLOCK_OPERATION]: operation,
      [ATTR_NESTMESH_REDLOCK_OUTCOME]: said,
      ...(outcome.failed && { [ATTR_NESTMESH_REDLOCK_ERROR]: errorText(outcome.error) }),
    });
  }
}

/**
 * Redlock: a lease is granted when a majority of independent Redis masters grant it within
 * its validity (TTL − elapsed − drift); otherwise every node is released. A majority refusing
 * is LockHeld (undefined); failing to reach a majority is LockUnavailableError with what each
 * node said. Fencing tokens stay monotonic across holders: after a grant, each granted node's
 * counter is raised to the highest token issued, and the grant only stands if a majority took
 * the raise — any later majority then shares a node whose counter is already past it.
 */
export class RedlockBackend implements LockBackend {
  private readonly nodes: RedisLockBackend[];
  /** Each node's URL without its password: what errors and span events name it by. */
  private readonly names: string[];
  private readonly quorum: number;
  private readonly driftFactor: number;

  constructor(private readonly options: RedlockBackendOptions) {
    this.nodes = options.urls.map(
      (url) => new RedisLockBackend({ url, commandTimeoutMs: options.commandTimeoutMs ?? 100 }),
    );
    this.names = options.urls.map((url) => redactUrl(url));
    this.quorum = Math.floor(options.urls.length / 2) + 1;
    this.driftFactor = options.driftFactor ?? 0.01;
  }

  private async all<T>(run: (node: RedisLockBackend) => Promise<T>): Promise<Outcome<T>[]> {
    const settled = await Promise.allSettled(this.nodes.map(run));
    return settled.map((result, index): Outcome<T> => {
      const node = this.names[index];
      return result.status === 'fulfilled'
        ? { node, failed: false, value: result.value }
        : { node, failed: true, error: result.reason };
    });
  }

  private detail<T>(outcomes: Outcome<T>[], describe: (value: T) => string): string[] {
    return outcomes.map(
      (outcome) => `${outcome.node}: ${outcome.failed ? errorText(outcome.error) : describe(outcome.value)}`,
    );
  }

  async acquire(key: string, owner: string, ttlMs: number): Promise<bigint | undefined> {
    const startedAt = performance.now();
    const outcomes = await this.all((node) => node.acquire(key, owner, ttlMs));
    nodeEvents('acquire', outcomes, (token) => (token === undefined ? 'held' : 'granted'));
    const granted = outcomes.flatMap((outcome, index) =>
      !outcome.failed && outcome.value !== undefined ? [{ index, token: outcome.value }] : [],
    );
    const validityMs = ttlMs - (performance.now() - startedAt) - (ttlMs * this.driftFactor + 2);
    if (granted.length >= this.quorum && validityMs > 0) {
      const token = granted.reduce((max, grant) => (grant.token > max ? grant.token : max), 0n);
      const raised = await Promise.allSettled(
        granted.map(({ index }) => this.nodes[index].raiseFence(key, token)),
      );
      nodeEvents(
        'raise-fence',
        raised.map((result, at): Outcome<void> => {
          const node = this.names[granted[at].index];
          return result.status === 'fulfilled'
            ? { node, failed: false, value: undefined }
            : { node, failed: true, error: result.reason };
        }),
        () => 'granted',
        (said) => said === 'failed',
      );
      if (raised.filter((result) => result.status === 'fulfilled').length >= this.quorum) return token;
    }
    await this.release(key, owner);
    const failed = outcomes.filter((outcome) => outcome.failed).length;
    // Only when failures alone make a majority impossible is it "unavailable"; otherwise the
    // lock is (or was just) held by someone else and a retry may succeed.
    if (failed <= this.nodes.length - this.quorum) return undefined;
    throw new LockUnavailableError(
      key,
      new Error(`no quorum: ${granted.length} of ${this.nodes.length} granted, ${this.quorum} needed`),
      this.detail(outcomes, (value) => (value === undefined ? 'held by another owner' : `granted ${value}`)),
    );
  }

  async extend(key: string, owner: string, ttlMs: number): Promise<boolean> {
    const startedAt = performance.now();
    const outcomes = await this.all((node) => node.extend(key, owner, ttlMs));
    nodeEvents(
      'extend',
      outcomes,
      (extended) => (extended ? 'granted' : 'refused'),
      (said) => said !== 'granted',
    );
    const extended = outcomes.filter((o) => !o.failed && o.value).length;
    const validityMs = ttlMs - (performance.now() - startedAt) - (ttlMs * this.driftFactor + 2);
    if (extended >= this.quorum && validityMs > 0) return true;
    const refused = outcomes.filter((o) => !o.failed && !o.value).length;
    if (refused >= this.quorum) return false;
    throw new LockUnavailableError(
      key,
      new Error(`no quorum to extend (${extended}/${this.nodes.length})`),
      this.detail(outcomes, String),
    );
  }

  async release(key: string, owner: string): Promise<void> {
    const outcomes = await this.all((node) => node.release(key, owner));
    nodeEvents(
      'release',
      outcomes,
      () => 'granted',
      (said) => said === 'failed',
    );
  }

  /** Startup check of every node's credentials: the first BackendAuthError rejects. */
  async credentialsChecked(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.credentialsChecked()));
  }

  async close(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.close()));
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
