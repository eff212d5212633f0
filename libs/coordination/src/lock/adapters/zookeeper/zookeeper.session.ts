import zookeeper, {
  type Client,
  type Stat,
  type WatcherEvent,
  type ZookeeperException,
} from 'node-zookeeper-client';

import { SPIN_DELAY_MS, stopClient, watchConnection } from './zookeeper.connection.js';

export interface ZookeeperSessionOptions {
  /** `host:port[,host:port…][/chroot]`, as node-zookeeper-client takes it. */
  connectionString: string;
  /** The session timeout to ask for, in ms; the server clamps it to its bounds (negotiatedTimeoutMs). */
  sessionTimeoutMs: number;
  /** Deadline of each request, in ms: a request unanswered by then rejects (the session lives on). */
  requestTimeoutMs: number;
}

/** A request that failed: `code` is ZooKeeper's error code when the server answered one. */
export class ZookeeperRequestError extends Error {
  constructor(
    readonly code: number | undefined,
    message: string,
  ) {
    super(message);
  }
}

export type { Stat } from 'node-zookeeper-client';

export const NO_NODE = zookeeper.Exception.NO_NODE;
export const NODE_EXISTS = zookeeper.Exception.NODE_EXISTS;

/** A node's creation zxid as a bigint: what every later creation exceeds (ZooKeeper's total order). */
export function czxidOf(stat: Stat): bigint {
  return stat.czxid.readBigUInt64BE(0);
}

/**
 * One ZooKeeper session at a time, through node-zookeeper-client (the only module that imports
 * it): promise requests under a deadline, and a new session when the current one expires
 * (`sessionNumber` grows; `onExpired` listeners learn that every ephemeral node of the old one
 * is gone). close() ends the session (the server deletes its ephemeral nodes at once when it
 * can be reached) and stops the client's reconnection loop, which would otherwise go on for
 * ever while the server is away.
 */
export class ZookeeperSession {
  private client: Client;
  private number = 0;
  private closed = false;
  /** Whether the current session has been granted (its timeout is known). */
  private everConnected = false;
  private readonly expiredListeners = new Set<(sessionNumber: number) => void>();
  private readonly connectedListeners = new Set<() => void>();

  private readonly watchdog: { stop(): void };

  constructor(private readonly options: ZookeeperSessionOptions) {
    this.client = this.connect();
    this.watchdog = watchConnection(() => this.client, options.requestTimeoutMs);
  }

  /** Grows by one each time an expired session is replaced. */
  get sessionNumber(): number {
    return this.number;
  }

  get isConnected(): boolean {
    return this.client.getState().code === zookeeper.State.SYNC_CONNECTED.code;
  }

  /** The session timeout the server granted, in ms; undefined before the first connection. */
  get negotiatedTimeoutMs(): number | undefined {
    return this.isConnected || this.everConnected ? this.client.getSessionTimeout() : undefined;
  }

  /** Calls `listener(n)` when session `n` has expired (its ephemeral nodes are gone). */
  onExpired(listener: (sessionNumber: number) => void): void {
    this.expiredListeners.add(listener);
  }

  /** Resolves once connected, or after `timeoutMs` (never rejects): for startup checks. */
  connected(timeoutMs: number): Promise<void> {
    if (this.isConnected || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.connectedListeners.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.connectedListeners.add(done);
    });
  }

  private connect(): Client {
    const client = zookeeper.createClient(this.options.connectionString, {
      sessionTimeout: this.options.sessionTimeoutMs,
      spinDelay: SPIN_DELAY_MS,
      retries: 0,
    });
    client.on('state', (state) => {
      if (client !== this.client) return;
      if (state.code === zookeeper.State.SYNC_CONNECTED.code) {
        this.everConnected = true;
        for (const listener of [...this.connectedListeners]) listener();
      } else if (state.code === zookeeper.State.EXPIRED.code && !this.closed) {
        // The client is done for; the next request goes out on a new session.
        const expired = this.number++;
        this.everConnected = false;
        this.client = this.connect();
        for (const listener of this.expiredListeners) listener(expired);
      }
    });
    client.connect();
    return client;
  }

  /** Runs one request under the deadline; the session it went out on is `sessionNumber` then. */
  private request<T>(
    what: string,
    send: (client: Client, done: (error: ZookeeperException | null, value?: T) => void) => void,
  ): Promise<T> {
    if (this.closed) return Promise.reject(new ZookeeperRequestError(undefined, 'the session is closed'));
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new ZookeeperRequestError(
              undefined,
              `no answer from ZooKeeper to ${what} within ${this.options.requestTimeoutMs} ms`,
            ),
          ),
        this.options.requestTimeoutMs,
      );
      send(this.client, (error, value) => {
        clearTimeout(timer);
        if (error) reject(new ZookeeperRequestError(error.getCode(), `${what}: ${error.message}`));
        else resolve(value as T);
      });
    });
  }

  /** Creates an ephemeral sequential node under `parent` (made first if missing); resolves to its path. */
  async createEphemeralSequential(parent: string, prefix: string, data: string): Promise<string> {
    const path = `${parent}/${prefix}`;
    const create = () =>
      this.request<string>('create', (client, done) =>
        client.create(path, Buffer.from(data), zookeeper.CreateMode.EPHEMERAL_SEQUENTIAL, done),
      );
    try {
      return await create();
    } catch (error) {
      if (!(error instanceof ZookeeperRequestError) || error.code !== NO_NODE) throw error;
      await this.request<string>('mkdirp', (client, done) => client.mkdirp(parent, done)).catch(
        (failure: unknown) => {
          // The client does not make the chroot; ZooKeeper answers NO_NODE under a missing one.
          const chroot = this.options.connectionString.replace(/^[^/]*/, '');
          if (chroot && failure instanceof ZookeeperRequestError && failure.code === NO_NODE)
            throw new ZookeeperRequestError(
              NO_NODE,
              `the chroot ${chroot} does not exist on ZooKeeper: create it first (zkCli.sh create ${chroot})`,
            );
          throw failure;
        },
      );
      return create();
    }
  }

  /** Deletes `path`; one already gone is not an error. */
  async remove(path: string): Promise<void> {
    try {
      await this.request<void>('delete', (client, done) => client.remove(path, -1, done));
    } catch (error) {
      if (!(error instanceof ZookeeperRequestError) || error.code !== NO_NODE) throw error;
    }
  }

  /** The node's stat, or undefined when it does not exist. */
  exists(path: string): Promise<Stat | undefined> {
    return this.request<Stat | null>('exists', (client, done) => client.exists(path, undefined, done)).then(
      (stat) => stat ?? undefined,
    );
  }

  /**
   * The node's stat (undefined when absent), and a one-shot watch: `onChange` runs once when the
   * node changes, goes or appears. `forget()` drops `onChange` (its wait ended otherwise). The
   * client keeps one watcher per path however many waits share it (it tells watchers apart by
   * identity), so waits that end by time do not pile up in it.
   */
  watch(path: string, onChange: () => void): { stat: Promise<Stat | undefined>; forget(): void } {
    const waiting = this.watchers.get(path) ?? new Set<() => void>();
    this.watchers.set(path, waiting);
    waiting.add(onChange);
    const stat = this.request<Stat | null>('exists', (client, done) =>
      client.exists(path, this.watcherOf(path), done),
    ).then((found) => found ?? undefined);
    return {
      stat,
      forget: () => {
        waiting.delete(onChange);
        if (waiting.size === 0 && this.watchers.get(path) === waiting) this.watchers.delete(path);
      },
    };
  }

  /** Callbacks of the waits on each watched path. */
  private readonly watchers = new Map<string, Set<() => void>>();
  /** The one watcher function per path given to the client. */
  private readonly notifiers = new Map<string, (event: WatcherEvent) => void>();

  private watcherOf(path: string): (event: WatcherEvent) => void {
    let notifier = this.notifiers.get(path);
    if (!notifier) {
      notifier = () => {
        this.notifiers.delete(path);
        const waiting = this.watchers.get(path);
        this.watchers.delete(path);
        for (const onChange of waiting ?? []) onChange();
      };
      this.notifiers.set(path, notifier);
    }
    return notifier;
  }

  /** The node's children; an absent node has none. */
  async children(path: string): Promise<string[]> {
    try {
      return await this.request<string[]>('getChildren', (client, done) => client.getChildren(path, done));
    } catch (error) {
      if (error instanceof ZookeeperRequestError && error.code === NO_NODE) return [];
      throw error;
    }
  }

  /** Sets the node's data (whatever its version). */
  async setData(path: string, data: string): Promise<void> {
    await this.request<Stat>('setData', (client, done) => client.setData(path, Buffer.from(data), -1, done));
  }

  /** The node's data and stat, or undefined when it does not exist. */
  async data(path: string): Promise<{ data: string; stat: Stat } | undefined> {
    try {
      return await this.request<{ data: string; stat: Stat }>('getData', (client, done) =>
        client.getData(path, (error, data, stat) => done(error, { data: data?.toString() ?? '', stat })),
      );
    } catch (error) {
      if (error instanceof ZookeeperRequestError && error.code === NO_NODE) return undefined;
      throw error;
    }
  }

  /**
   * Ends the session (the server deletes its ephemeral nodes at once when it can be reached) and
   * stops the client for good (see stopClient): nothing of it keeps the process alive.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.watchdog.stop();
    await stopClient(this.client, this.isConnected, this.options.requestTimeoutMs);
  }
}
