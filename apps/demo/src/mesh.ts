// `npm run mesh -- [--compose] <command> [name]`: fault toggles for the demo stacks.
//   status | kill <name> | pause <name> | resume <name> | start <name> | pause-leader | restart-redis
// Against the local stack (`npm run start:stack`, found by its .nestmesh/stack.json) by default;
// with --compose against the docker-compose stack, through `docker compose`. See docs/demo.md.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { composeFault, dockerCompose } from './stack/compose-faults.js';
import { FAULT_COMMANDS, isFaultCommand, NAMED_COMMANDS } from './stack/fault-commands.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const stateFile = join(root, '.nestmesh/stack.json');

function fail(message: string): never {
  console.error(`mesh: ${message}`);
  process.exit(2);
}

const args = process.argv.slice(2);
const compose = args[0] === '--compose';
const [command, name] = compose ? args.slice(1) : args;
if (!command || !isFaultCommand(command)) {
  fail(`usage: npm run mesh -- [--compose] <${FAULT_COMMANDS.join('|')}> [name]`);
}
if (NAMED_COMMANDS.includes(command) && !name) fail(`${command} needs an instance name (e.g. inventory-2)`);

try {
  if (compose) {
    console.log(await composeFault(command, name, dockerCompose(root)));
  } else {
    if (!existsSync(stateFile)) {
      fail(
        'no local stack is running (start one with: npm run start:stack), or add --compose for the docker-compose stack',
      );
    }
    const { control } = JSON.parse(readFileSync(stateFile, 'utf8')) as { control: string };
    const query = name ? `?name=${encodeURIComponent(name)}` : '';
    const response = await fetch(`${control}/${command}${query}`, { method: 'POST' }).catch(() =>
      fail(`the local stack at ${control} does not answer (stopped?); start one with: npm run start:stack`),
    );
    const text = (await response.text()).trimEnd();
    if (!response.ok) fail(text);
    console.log(text);
  }
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
