import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';

import { freePort } from './free-port.js';

describe('freePort', { timeout: 30_000 }, () => {
  it('gives a port a server listens on, never the same one twice, under the kernel’s ephemeral range', async () => {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    assert.ok(
      low !== undefined && low > 11_000,
      `this test expects Linux' range well above 10000, got ${low}`,
    );
    const ports: number[] = [];
    for (let index = 0; index < 200; index++) ports.push(await freePort());
    assert.equal(new Set(ports).size, ports.length, 'no port twice');
    for (const port of ports) assert.ok(port >= 10_000 && port < low, `${port} is under ${low}`);
    const server = createServer();
    const port = await freePort();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port, exclusive: true }, resolve);
    });
    await new Promise((resolve) => server.close(resolve));
  });
});
