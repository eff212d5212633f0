import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { composeFault, type Runner } from './compose-faults.js';

/** A `docker compose` that records its arguments and answers from a table (no Docker engine here). */
function recorder(answers: Record<string, string> = {}): Runner & { calls: string[] } {
  const calls: string[] = [];
  const runner = ((args: string[]) => {
    const line = args.join(' ');
    calls.push(line);
    const answer = Object.entries(answers).find(([prefix]) => line.startsWith(prefix))?.[1];
    if (answer === undefined && line.startsWith('exec'))
      return Promise.reject(new Error('no such container'));
    return Promise.resolve(answer ?? '');
  }) as Runner & { calls: string[] };
  runner.calls = calls;
  return runner;
}

describe('fault toggles against the docker-compose stack', { timeout: 10_000 }, () => {
  it('maps each toggle to its docker compose command', async () => {
    const compose = recorder();
    await composeFault('kill', 'inventory-2', compose);
    await composeFault('pause', 'inventory-2', compose);
    await composeFault('resume', 'inventory-2', compose);
    await composeFault('start', 'inventory-2', compose);
    await composeFault('restart-redis', undefined, compose);
    await composeFault('status', undefined, compose);
    assert.deepEqual(compose.calls, [
      'kill -s SIGKILL inventory-2',
      'pause inventory-2',
      'unpause inventory-2',
      'start inventory-2',
      'restart redis',
      'ps',
    ]);
  });

  it('pause-leader pauses the inventory whose own /metrics says it leads, asking each in turn', async () => {
    const leader =
      'nestmesh_election_leader{nestmesh_election_group="inventory",nestmesh_election_candidate="b"} 1\n';
    const follower =
      'nestmesh_election_leader{nestmesh_election_group="inventory",nestmesh_election_candidate="a"} 0\n';
    const compose = recorder({ 'exec -T inventory-1': follower, 'exec -T inventory-2': leader });
    assert.match(await composeFault('pause-leader', undefined, compose), /inventory-2 led/);
    assert.equal(compose.calls.at(-1), 'pause inventory-2');
    assert.equal(
      compose.calls.filter((call) => call.startsWith('exec')).length,
      2,
      'stops asking at the leader',
    );
  });

  it('pause-leader with no leader fails, pausing nothing', async () => {
    const compose = recorder({
      'exec -T inventory-1': '',
      'exec -T inventory-2': '',
      'exec -T inventory-3': '',
    });
    await assert.rejects(composeFault('pause-leader', undefined, compose), /no running inventory leads/);
    assert.ok(!compose.calls.some((call) => call.startsWith('pause')));
  });
});
