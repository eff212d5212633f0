import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { spawnOwned } from './child-process.js';
import { waitFor } from './wait-for.js';

/** Whether `pid` is a live process (a zombie, dead but not yet reaped, is not). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('servers started by a test die with the process that started them', () => {
  const leftovers: number[] = [];
  after(() => {
    for (const pid of leftovers.filter(alive)) process.kill(pid, 'SIGKILL');
  });

  it('SIGKILL of the owner takes its redis-server and etcd with it', async (t) => {
    if (process.platform !== 'linux') return t.skip('a parent-death signal exists only on Linux');
    const owner = spawnOwned(
      process.execPath,
      [fileURLToPath(new URL('./test-fixtures/server-owner.fixture.js', import.meta.url))],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = once(owner, 'exit');
    let output = '';
    owner.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const servers = await waitFor(() => /^\{.*\}$/m.exec(output)?.[0], {
      timeoutMs: 60_000,
      signal: t.signal,
      description: 'the pids of its servers',
    }).then((line) => Object.values(JSON.parse(line) as Record<string, number>));
    leftovers.push(...servers);
    assert.equal(servers.length, 2);
    assert.ok(servers.every(alive), 'both servers run');

    owner.kill('SIGKILL');
    await exited;
    await waitFor(() => !servers.some(alive), {
      signal: t.signal,
      description: `servers ${servers.join(', ')} to die with their owner`,
    });
  });
});
