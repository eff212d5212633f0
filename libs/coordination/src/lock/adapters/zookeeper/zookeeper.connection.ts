import type { Client } from 'node-zookeeper-client';

// What node-zookeeper-client 1.1.3 lacks, done on its connection manager (the fields declared in
// node-zookeeper-client.d.ts): a read timeout, and a way to stop reconnecting.

/** Connection manager states of node-zookeeper-client 1.1.3. */
const CONNECTING = 1;
const CONNECTED = 2;
const CLOSING = -1;
const CLOSED = -2;

/** How often the watchdog looks, in ms. */
const WATCHDOG_MS = 100;

/**
 * Between reconnection rounds over all hosts, node-zookeeper-client waits a random time up to
 * this, in ms (its default, 1000, would make a session that lost its server come back up to
 * a second after the server did: longer than a default election lease).
 */
export const SPIN_DELAY_MS = 100;

/**
 * node-zookeeper-client has no read timeout: a connection whose handshake is never answered (a
 * server shutting down or not yet serving: seen after a restart) or whose server stops
 * answering (paused, partitioned) keeps the client waiting for ever. As ZooKeeper's Java client
 * does, this drops the connection — and the client connects again, to the next host — when a
 * handshake takes longer than `handshakeMs`, or when nothing (not even the answer to its pings,
 * sent every third of the session timeout) arrived for two thirds of the session timeout.
 * `client()` is the current client (a session that expired is replaced). Stop it with `stop()`.
 */
export function watchConnection(client: () => Client, handshakeMs: number): { stop(): void } {
  let watched: object | undefined;
  let heardAt = 0;
  const timer = setInterval(() => {
    const current = client();
    const manager = current.connectionManager;
    const socket = manager.socket;
    const now = performance.now();
    if (socket !== watched) {
      watched = socket;
      heardAt = now;
      socket?.on('data', () => (heardAt = performance.now()));
      return;
    }
    const silentMs = now - heardAt;
    const stuck =
      (manager.state === CONNECTING && silentMs > handshakeMs) ||
      (manager.state === CONNECTED && silentMs > (current.getSessionTimeout() * 2) / 3);
    if (stuck) socket?.destroy();
  }, WATCHDOG_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/**
 * Ends `client` for good: CLOSE_SESSION goes out if it is connected (the server then deletes the
 * session's ephemeral nodes at once; else they go when the session expires), waiting up to
 * `waitMs` for the server to close the connection; and the reconnection loop is cut — the
 * client would otherwise reconnect for ever while the server is away (its connect() and
 * findNextServer() are replaced, its socket and connect timer dropped, twice: once now, once
 * after a reconnection wait that may already have been armed). Leaves no socket or timer.
 */
export async function stopClient(client: Client, connected: boolean, waitMs: number): Promise<void> {
  const manager = client.connectionManager;
  manager.connect = () => undefined;
  manager.findNextServer = () => undefined;
  client.close();
  if (connected) {
    const started = performance.now();
    while (manager.state !== CLOSED && performance.now() - started < waitMs)
      await new Promise((resolve) => setTimeout(resolve, 5));
  }
  // As the client does on CLOSING: a closed socket is not reconnected.
  const drop = (): void => {
    if (manager.state === CLOSED) return;
    manager.state = CLOSING;
    if (manager.connectTimeoutHandler) clearTimeout(manager.connectTimeoutHandler);
    manager.socket?.destroy();
  };
  drop();
  await new Promise((resolve) => setTimeout(resolve, SPIN_DELAY_MS + 10));
  drop();
}
