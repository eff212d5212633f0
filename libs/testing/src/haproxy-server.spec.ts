import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { after, before, describe, it } from 'node:test';

import type { UnexpectedExit } from './server-process.js';
import { waitFor } from './wait-for.js';

import { startHaproxy, type HaproxyServer } from './haproxy-server.js';

/** One runtime API command over TCP (`host:port`); HAProxy closes after answering. */
async function askTcp(address: string, command: string): Promise<string> {
  const [host, port] = address.split(':');
  return new Promise((resolve, reject) => {
    let answer = '';
    const socket = connect({ host, port: Number(port) }, () => socket.end(`${command}\n`));
    socket.setEncoding('utf8').on('data', (chunk: string) => (answer += chunk));
    socket.once('end', () => resolve(answer));
    socket.once('error', reject);
  });
}

describe('startHaproxy', { timeout: 60_000 }, () => {
  let upstream: Server;
  let haproxy: HaproxyServer | undefined;

  before(async () => {
    upstream = createServer((_request, response) => response.end('from upstream'));
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  });

  after(async () => {
    await haproxy?.stop();
    upstream.closeAllConnections();
    await new Promise((resolve) => upstream.close(resolve));
  });

  it('proxies with the given configuration, answers on both runtime API sockets, restarts and cleans up', async () => {
    const { port } = upstream.address() as AddressInfo;
    haproxy = await startHaproxy({
      ports: ['http'],
      config: (ports) =>
        [
          'defaults',
          '  mode http',
          '  timeout connect 5s',
          '  timeout client 30s',
          '  timeout server 30s',
          'frontend edge',
          `  bind 127.0.0.1:${ports.http}`,
          '  default_backend app',
          'backend app',
          `  server one 127.0.0.1:${port}`,
        ].join('\n'),
    });
    const edge = `http://127.0.0.1:${haproxy.ports.http}/`;
    assert.equal(await (await fetch(edge)).text(), 'from upstream');
    assert.match(await askTcp(haproxy.runtimeApiAddress, 'show servers state app'), /app 1 one 127\.0\.0\.1/);

    await haproxy.kill();
    await assert.rejects(fetch(edge));
    await haproxy.start();
    assert.equal(await (await fetch(edge)).text(), 'from upstream');

    const folder = dirname(haproxy.runtimeApiSocket);
    await haproxy.stop();
    haproxy = undefined;
    assert.equal(existsSync(folder), false);
  });

  it('a crash (a signal nobody sent through kill) is reported once with its signal; kill and stop are not', async () => {
    const exits: UnexpectedExit[] = [];
    haproxy = await startHaproxy({
      config: () => 'defaults\n  mode http\n',
      onUnexpectedExit: (exit) => exits.push(exit),
    });
    process.kill(haproxy.pid!, 'SIGKILL');
    await waitFor(() => exits.length > 0, { timeoutMs: 30_000, description: 'the crash reported' });
    assert.equal(exits[0].signal, 'SIGKILL');
    assert.match(exits[0].description, /^haproxy with /);
    assert.equal(haproxy.pid, undefined);

    await haproxy.start();
    await haproxy.kill();
    await haproxy.start();
    await haproxy.stop();
    haproxy = undefined;
    assert.equal(exits.length, 1);
  });
});
