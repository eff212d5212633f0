import { createServer } from 'node:net';

/**
 * A TCP port that was free on `host` a moment ago: the kernel picks it (port 0), the
 * probe closes, the number is returned. Prefer binding the real server to port 0 where
 * it accepts one; use this only for servers that need a number up front (redis-server, etcd).
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
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
