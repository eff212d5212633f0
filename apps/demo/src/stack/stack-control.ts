// The local stack's control endpoint (loopback only): `npm run mesh` sends it the fault toggles,
// since the stack owns the processes it kills, pauses and starts again.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RedisServer } from '@nestmesh/testing';

import { isFaultCommand, leadsAnElection, NAMED_COMMANDS, type FaultCommand } from './fault-commands.js';
import type { StackApp } from './stack-processes.js';

export interface StackControl {
  url: string;
  close(): Promise<void>;
}

interface Stack {
  apps: readonly StackApp[];
  redis: RedisServer;
}

/** The inventory leading the restock election, by its own /metrics. */
async function leader(apps: readonly StackApp[]): Promise<StackApp | undefined> {
  for (const app of apps) {
    const metrics = app.ready?.[3];
    if (!app.spec.name.startsWith('inventory') || app.state !== 'running' || !metrics) continue;
    const text = await fetch(metrics, { signal: AbortSignal.timeout(2000) })
      .then((response) => response.text())
      .catch(() => '');
    if (leadsAnElection(text)) return app;
  }
  return undefined;
}

function status(apps: readonly StackApp[]): string {
  return apps
    .map((app) => `${app.spec.name.padEnd(12)} ${app.state.padEnd(8)} pid ${app.pid ?? '-'}`)
    .join('\n');
}

async function perform(stack: Stack, command: FaultCommand, name: string | null): Promise<string> {
  if (command === 'status') return status(stack.apps);
  if (command === 'restart-redis') {
    await stack.redis.kill('SIGKILL');
    await stack.redis.start();
    return `redis killed and started again (AOF on: its data is back) on ${stack.redis.url}`;
  }
  if (command === 'pause-leader') {
    const app = await leader(stack.apps);
    if (!app) throw new Error('no running inventory leads the restock election right now');
    app.pause();
    return `${app.spec.name} (pid ${app.pid}) led the restock election and is paused; resume it with: npm run mesh -- resume ${app.spec.name}`;
  }
  const app = stack.apps.find((each) => each.spec.name === name);
  if (!app)
    throw new Error(`no instance "${name}"; one of: ${stack.apps.map((each) => each.spec.name).join(', ')}`);
  if (command === 'kill') await app.kill();
  else if (command === 'pause') app.pause();
  else if (command === 'resume') app.resume();
  else await app.start();
  return `${command}: ${app.spec.name} is ${app.state}`;
}

export async function serveControl(stack: Stack): Promise<StackControl> {
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://control');
    const command = url.pathname.slice(1);
    const name = url.searchParams.get('name');
    const answer = (code: number, text: string) => {
      response.writeHead(code, { 'content-type': 'text/plain; charset=utf-8' }).end(`${text}\n`);
    };
    if (request.method !== 'POST' || !isFaultCommand(command))
      return answer(404, `unknown command ${command}`);
    if (NAMED_COMMANDS.includes(command) && !name) return answer(400, `${command} needs an instance name`);
    perform(stack, command, name).then(
      (text) => answer(200, text),
      (error: unknown) => answer(409, error instanceof Error ? error.message : String(error)),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
