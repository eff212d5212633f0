import { type ZookeeperSession, ZookeeperRequestError, NO_NODE } from './zookeeper.session.js';

/** Between two tries to delete nodes that must go, in ms. */
const REAP_RETRY_MS = 200;

/** A sequential node's name ends in ZooKeeper's 10-digit counter: the queue order. */
export function sequenceOf(name: string): string {
  return name.slice(-10);
}

/** `names` in queue order (by their sequence number, whatever their prefix). */
export function inQueueOrder(names: readonly string[]): string[] {
  return [...names].sort((a, b) =>
    sequenceOf(a) < sequenceOf(b) ? -1 : sequenceOf(a) > sequenceOf(b) ? 1 : 0,
  );
}

/**
 * A node name's part before the counter: `<attempt id>-`. Each create gets a fresh attempt id, so
 * that a create whose answer was lost (deadline, connection loss) can still be found by it and
 * deleted — ZooKeeper may have made the node all the same.
 */
export function attemptPrefix(attemptId: string): string {
  return `${attemptId}-`;
}

interface Doomed {
  readonly session: number;
  /** A known node, or every child of `parent` whose name starts with `prefix` (a lost create). */
  readonly path?: string;
  readonly parent?: string;
  readonly prefix?: string;
}

/**
 * Nodes of this session that must go and could not be deleted yet (ZooKeeper away, a create
 * whose answer was lost): deleted in the background, tried again every 200 ms, until they are
 * gone, their session expired (ZooKeeper deleted them) or the session closed. This is what
 * guarantees that a place given up in a queue never blocks the nodes behind it.
 */
export class DoomedNodes {
  private readonly doomed = new Map<string, Doomed>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly session: ZookeeperSession) {}

  /** Deletes `path` now, and keeps trying in the background if that fails. Never rejects. */
  async remove(path: string, session: number): Promise<void> {
    try {
      if (session === this.session.sessionNumber) await this.session.remove(path);
    } catch {
      this.add(path, { session, path });
    }
  }

  /** A create whose answer never came: every node under `parent` named `prefix…` goes. */
  lostCreate(parent: string, prefix: string, session: number): void {
    this.add(`${parent}/${prefix}`, { session, parent, prefix });
  }

  get size(): number {
    return this.doomed.size;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.doomed.clear();
  }

  private add(id: string, doomed: Doomed): void {
    if (this.closed) return;
    this.doomed.set(id, doomed);
    this.schedule();
  }

  private schedule(): void {
    if (this.timer || this.running || this.closed || this.doomed.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.reap().finally(() => {
        this.running = undefined;
        this.schedule();
      });
    }, REAP_RETRY_MS);
    this.timer.unref();
  }

  private async reap(): Promise<void> {
    for (const [id, doomed] of [...this.doomed]) {
      // An expired session's ephemeral nodes are gone already.
      if (doomed.session !== this.session.sessionNumber || this.closed) {
        this.doomed.delete(id);
        continue;
      }
      try {
        if (doomed.path) await this.session.remove(doomed.path);
        else {
          const names = await this.session.children(doomed.parent!);
          for (const name of names.filter((n) => n.startsWith(doomed.prefix!)))
            await this.session.remove(`${doomed.parent}/${name}`);
        }
        this.doomed.delete(id);
      } catch (error) {
        if (error instanceof ZookeeperRequestError && error.code === NO_NODE) this.doomed.delete(id);
        // Else ZooKeeper is away: the next round tries again.
      }
    }
  }
}

/**
 * Resolves when `path` is deleted (a one-shot watch: it may also fire when the node changes),
 * at once when it does not exist, after `maxMs`, when `signal` aborts, or when ZooKeeper
 * cannot be asked. Never rejects; its timer and listener are cleared however it ends.
 */
export function untilGone(
  session: ZookeeperSession,
  path: string,
  maxMs: number,
  signal: AbortSignal,
): Promise<void> {
  return new Promise((resolve) => {
    let forget = (): void => undefined;
    const finish = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', finish);
      forget();
      resolve();
    };
    const timer = setTimeout(finish, maxMs);
    signal.addEventListener('abort', finish, { once: true });
    if (signal.aborted) return finish();
    const watching = session.watch(path, finish);
    forget = () => watching.forget();
    watching.stat.then(
      (stat) => stat === undefined && finish(),
      () => finish(),
    );
  });
}
