import { createServer, type AddressInfo, type Socket } from 'node:net';

/** A TCP server on a free port that accepts connections and never answers: a hung registry. */
export async function startSilentServer(): Promise<{ hostPort: string; close(): void }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    hostPort: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}
