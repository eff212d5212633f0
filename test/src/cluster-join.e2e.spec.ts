import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createLeaderElection, type LeaderElection } from '@nestmesh/coordination';
import {
  spawnOwned,
  startAppProcess,
  startEtcd,
  waitFor,
  type AppProcess,
  type EtcdServer,
} from '@nestmesh/testing';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** Nothing from the environment the tests run in decides where the cluster elects. */
const clean = { REDIS_URL: undefined, ELECTION_URL: undefined, FORCE_COLOR: undefined };

/** `NAME=value … node <script>` split into its variables and script (single quotes undone). */
function parseCommand(line: string): { env: Record<string, string>; script: string } {
  const words = [...line.matchAll(/(?:'((?:[^']|'\\'')*)'|([^\s']+))+/g)].map((match) =>
    match[0].replace(/'\\''/g, "'").replace(/'/g, ''),
  );
  const env: Record<string, string> = {};
  for (const word of words) {
    const assignment = /^([A-Z_]+)=(.*)$/.exec(word);
    if (!assignment) break;
    env[assignment[1]] = assignment[2]!;
  }
  assert.equal(words.at(-2), 'node', line);
  return { env, script: words.at(-1)! };
}

describe(
  'npm run start:cluster prints how to start one more inventory, and it joins the same election',
  {
    timeout: 400_000,
  },
  () => {
    let etcd: EtcdServer;
    let cluster: ChildProcess;
    let output = '';
    const extra: AppProcess[] = [];
    let election: LeaderElection | undefined;

    before(async () => {
      etcd = await startEtcd();
      cluster = spawnOwned(process.execPath, [join(root, 'apps/demo/dist/cluster.js')], {
        cwd: root,
        env: {
          ...process.env,
          ...clean,
          DISCOVERY_URL: `etcd://${etcd.endpoint.replace('http://', '')}`,
          INVENTORIES: '1',
          PORT: '0',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      cluster.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
      cluster.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
      await waitFor(() => output.includes('NestMesh cluster ready'), {
        timeoutMs: 180_000,
        description: `the cluster's ready line (${output})`,
      });
    });

    after(async () => {
      await Promise.all(extra.map((app) => app.stop('SIGKILL')));
      await election?.close();
      if (cluster && cluster.exitCode === null && cluster.signalCode === null) {
        const exited = once(cluster, 'exit');
        cluster.kill('SIGINT'); // stops order and inventories (their own process groups), then exits
        const timer = setTimeout(() => cluster.kill('SIGKILL'), 30_000);
        await exited;
        clearTimeout(timer);
      }
      // Whatever it could not stop (it was killed): its children, by the pids it printed.
      for (const [, pid] of output.matchAll(/pid (\d+)/g)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await etcd?.stop();
    });

    it('the printed command carries the registry and the election; the new process campaigns there', async () => {
      const line = /One more inventory[^\n]*\n\s+(.+)/.exec(output)?.[1];
      assert.ok(line, `a command line in:\n${output}`);
      const { env, script } = parseCommand(line);
      const discoveryUrl = `etcd://${etcd.endpoint.replace('http://', '')}`;
      assert.equal(env.DISCOVERY_URL, discoveryUrl);
      assert.equal(env.ELECTION_URL, discoveryUrl, 'the cluster elects on its etcd');

      election = await createLeaderElection({ group: 'inventory', url: env.ELECTION_URL });
      const clusterLeader = await waitFor(() => election!.leader(), {
        timeoutMs: 30_000,
        description: 'a leader',
      });

      const joined = await startAppProcess(resolve(root, script), {
        env: { ...clean, ...env },
        readyPattern: /inventory ready grpc=\S+ id=(\S+) election=(\S+)/,
        timeoutMs: 120_000,
      });
      extra.push(joined);
      assert.equal(joined.ready[2], discoveryUrl);
      assert.doesNotMatch(joined.output(), /every inventory process will lead/);
      assert.equal((await election.leader())?.candidateId, clusterLeader.candidateId, 'still one leader');

      // The cluster's inventory leaves (SIGTERM resigns): the only other candidate, the process
      // started by hand, must take over in the same etcd election.
      const [, leaderPid] = /inventory-1 .* pid (\d+)/.exec(output)!;
      process.kill(Number(leaderPid), 'SIGTERM');
      const next = await waitFor(
        async () => {
          const leader = await election!.leader();
          return leader && leader.candidateId !== clusterLeader.candidateId ? leader : undefined;
        },
        { timeoutMs: 30_000, description: 'the hand-started inventory to lead' },
      );
      assert.match(next.candidateId, new RegExp(`-${joined.child.pid}-`), 'it is the hand-started process');
      assert.ok(next.epoch > clusterLeader.epoch);
    });

    it('started with DISCOVERY_URL alone (the old docs), an inventory warns that it would lead on its own', async () => {
      const alone = await startAppProcess(join(root, 'apps/inventory/dist/main.js'), {
        env: { ...clean, DISCOVERY_URL: `etcd://${etcd.endpoint.replace('http://', '')}` },
        readyPattern: /inventory ready .* election=(\S+)/,
        timeoutMs: 120_000,
      });
      extra.push(alone);
      assert.equal(alone.ready[1], 'memory://');
      assert.match(alone.output(), /every inventory process will lead and restock\. Set ELECTION_URL/);
    });
  },
);
