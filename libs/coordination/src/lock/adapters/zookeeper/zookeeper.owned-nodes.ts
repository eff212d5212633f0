import type { DoomedNodes } from './zookeeper.queue.js';

/** A queue node this backend created, held or waiting. */
export interface QueueNode {
  /** `<key>\n<owner>`: what extend and release find it by. */
  readonly id: string;
  readonly key: string;
  readonly parent: string;
  readonly name: string;
  readonly path: string;
  /** The session it lives in: when that one expires, the node is gone. */
  readonly session: number;
  token?: bigint;
  /** Past this (performance.now() ms) the lease ran out unrenewed: the node is deleted. */
  expiresAt?: number;
  timer?: NodeJS.Timeout;
}

export function nodeId(key: string, owner: string): string {
  return `${key}\n${owner}`;
}

/**
 * The queue nodes of one backend, by key and owner (one each), and the local end of each
 * held lease: a node whose lease ran out unrenewed is deleted (doomed) at its `expiresAt`.
 */
export class OwnedNodes {
  private readonly nodes = new Map<string, QueueNode>();

  constructor(private readonly doomed: DoomedNodes) {}

  get(key: string, owner: string): QueueNode | undefined {
    return this.nodes.get(nodeId(key, owner));
  }

  /** Records `node`; an earlier node of the same owner and key is given up. */
  add(node: QueueNode): void {
    const previous = this.nodes.get(node.id);
    if (previous) this.giveUp(previous);
    this.nodes.set(node.id, node);
  }

  /** The lease ends at `expiresAt` (performance.now() ms) unless armed again: its node goes then. */
  arm(node: QueueNode, expiresAt: number): void {
    node.expiresAt = expiresAt;
    clearTimeout(node.timer);
    node.timer = setTimeout(() => this.giveUp(node), Math.max(0, expiresAt - performance.now()));
    node.timer.unref();
  }

  /** Whether `node` is still this owner's node of its key (not given up meanwhile). */
  owns(node: QueueNode): boolean {
    return this.nodes.get(node.id) === node;
  }

  forget(node: QueueNode): void {
    clearTimeout(node.timer);
    if (this.owns(node)) this.nodes.delete(node.id);
  }

  /** Forgets the node and deletes it (in the background, retried until it is gone). */
  giveUp(node: QueueNode): void {
    this.forget(node);
    void this.doomed.remove(node.path, node.session);
  }

  /**
   * Gives up the leases of `key` that ran out while this process could not run their timers (a
   * stall), so that a new node does not queue behind them.
   */
  giveUpExpired(key: string): void {
    const now = performance.now();
    for (const node of this.nodes.values())
      if (node.key === key && node.expiresAt !== undefined && now >= node.expiresAt) this.giveUp(node);
  }

  /** Session `expired` is gone, and its nodes with it. */
  sessionExpired(expired: number): void {
    for (const node of this.nodes.values()) if (node.session === expired) this.forget(node);
  }

  clear(): void {
    for (const node of this.nodes.values()) clearTimeout(node.timer);
    this.nodes.clear();
  }
}
