// node-zookeeper-client 1.1.3 ships no declarations. This declares the part of its API that
// zookeeper.session.ts (the only module that imports it) calls, plus the connection manager's
// fields that its close() needs to stop the reconnection loop (see ZookeeperSession.close).
declare module 'node-zookeeper-client' {
  export interface Stat {
    /** The zxid of the transaction that created the node: 8 bytes, big-endian. */
    readonly czxid: Buffer;
  }

  export interface WatcherEvent {
    readonly type: number;
    readonly path: string;
  }

  export interface ZookeeperException extends Error {
    getCode(): number;
  }

  export interface State {
    readonly name: string;
    readonly code: number;
  }

  /** @internal The client's connection manager, as of 1.1.3. */
  export interface ConnectionManager {
    state: number;
    socket: import('node:net').Socket | undefined;
    connectTimeoutHandler: NodeJS.Timeout | null;
    connect(): void;
    findNextServer(callback: (server: unknown) => void): void;
  }

  export interface Client {
    readonly connectionManager: ConnectionManager;
    connect(): void;
    close(): void;
    getState(): State;
    getSessionTimeout(): number;
    on(event: 'state', listener: (state: State) => void): this;
    create(
      path: string,
      data: Buffer,
      mode: number,
      callback: (error: ZookeeperException | null, path: string) => void,
    ): void;
    remove(path: string, version: number, callback: (error: ZookeeperException | null) => void): void;
    exists(
      path: string,
      watcher: ((event: WatcherEvent) => void) | undefined,
      callback: (error: ZookeeperException | null, stat: Stat | null) => void,
    ): void;
    getChildren(path: string, callback: (error: ZookeeperException | null, children: string[]) => void): void;
    getData(
      path: string,
      callback: (error: ZookeeperException | null, data: Buffer | undefined, stat: Stat) => void,
    ): void;
    mkdirp(path: string, callback: (error: ZookeeperException | null, path: string) => void): void;
    setData(
      path: string,
      data: Buffer,
      version: number,
      callback: (error: ZookeeperException | null, stat: Stat) => void,
    ): void;
  }

  export function createClient(
    connectionString: string,
    options?: { sessionTimeout?: number; spinDelay?: number; retries?: number },
  ): Client;

  export const CreateMode: { readonly PERSISTENT: number; readonly EPHEMERAL_SEQUENTIAL: number };
  export const State: {
    readonly SYNC_CONNECTED: State;
    readonly DISCONNECTED: State;
    readonly EXPIRED: State;
    readonly AUTH_FAILED: State;
  };
  export const Exception: {
    readonly NO_NODE: number;
    readonly NODE_EXISTS: number;
    readonly NOT_EMPTY: number;
    readonly SESSION_EXPIRED: number;
    readonly NO_AUTH: number;
  };

  const zookeeper: {
    createClient: typeof createClient;
    CreateMode: typeof CreateMode;
    State: typeof State;
    Exception: typeof Exception;
  };
  export default zookeeper;
}
