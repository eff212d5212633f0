import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { randomInt } from 'node:crypto';

/** The lowest port {@link freePort} picks on its own: under it are well-known and registered services' habits. */
const LOWEST = 10_000;
const ATTEMPTS = 50;
/** Ports this process was given, not given twice (until many have been: then the oldest go). */
const given = new Set<number>();
const REMEMBERED = 1_000;

/**
 * The kernel's range of ephemeral ports (Linux' `ip_local_port_range`): the ports it hands to
 * a `listen(0)` and to the local end of every outgoing connection. Undefined where it cannot
 * be read (not Linux) or leaves too little room under it.
 */
function ephemeralRange(): { low: number; high: number } | undefined {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    if (low === undefined || high === undefined || !(low - LOWEST >= 1_000)) return undefined;
    return { low, high };
  } catch {
    return undefined;
  }
}

/** Whether `port` on `host` can be listened on now (and is released at once). */
function canListen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A port the kernel picks (listen on 0), released at once. */
function kernelPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('testing: no port was assigned'))));
    });
  });
}

/**
 * A TCP port that was free on `host` a moment ago, for servers that need a number up front
 * (redis-server, etcd, an app's METRICS_PORT); prefer binding a server to port 0 where it
 * accepts one. Between this answer and the server's bind the port is free for anyone: on
 * Linux it is therefore picked at random *under* the kernel's ephemeral range, where no
 * `listen(0)` and no outgoing connection of another process lands on it meanwhile (a port of
 * the range, released, can be handed to the very next `listen(0)` — the cause of an
 * EADDRINUSE seen in CI). Never the same port twice in one process. Elsewhere, the kernel's pick.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const range = ephemeralRange();
  if (range) {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const port = randomInt(LOWEST, range.low);
      if (given.has(port) || !(await canListen(host, port))) continue;
      remember(port);
      return port;
    }
  }
  const port = await kernelPort(host);
  remember(port);
  return port;
}

function remember(port: number): void {
  given.add(port);
  if (given.size > REMEMBERED) given.delete(given.values().next().value as number);
}
