import { Command, InvalidArgumentError, Option } from 'commander';

import { collectHeader } from './call/metadata-headers.js';
import type { CallOptions } from './commands/call.command.js';
import { EXIT_CODES } from './exit-codes.js';
import type { GlobalOptions } from './global-options.js';
import { addTlsOptions, type TlsFlags } from './tls/tls-flags.js';

/** `--deadline` and other durations: a whole number of milliseconds above zero. */
export function positiveMilliseconds(value: string): number {
  const number = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(number) || number <= 0)
    throw new InvalidArgumentError('expected a whole number of milliseconds above 0');
  return number;
}

const globals = (command: Command) => command.optsWithGlobals<GlobalOptions>();

function addCallCommands(program: Command): void {
  const call = program
    .command('call')
    .description('call a method of a service through server reflection and print the response as JSON')
    .argument('<service>', 'the service name in the registry (e.g. inventory)')
    .argument('<method>', 'package.Service/Method (e.g. inventory.v1.InventoryService/GetStock)')
    .argument(
      '<json>',
      'the request as JSON, or - to read it from stdin (one request per line for client streams)',
    )
    .option('--instance <id>', 'call this instance (default: one of the live ones at random)')
    .option(
      '--deadline <ms>',
      'fail with DEADLINE_EXCEEDED after this long (default: none)',
      positiveMilliseconds,
    )
    .option('-H, --header <key=value>', 'request metadata; repeat for more', collectHeader);
  addTlsOptions(call).action(
    async (service: string, method: string, json: string, options: CallOptions, command: Command) => {
      const { callCommand } = await import('./commands/call.command.js');
      await callCommand(service, method, json, options, globals(command));
    },
  );
  const health = program
    .command('health')
    .description('grpc.health.v1 Check of every live instance of a service (exit 1 unless all SERVING)')
    .argument('<service>', 'the service name in the registry')
    .option('--deadline <ms>', 'per-check deadline (default: 2000)', positiveMilliseconds);
  addTlsOptions(health).action(
    async (service: string, options: { deadline?: number } & TlsFlags, command: Command) => {
      const { healthCommand } = await import('./commands/health.command.js');
      await healthCommand(service, options, globals(command));
    },
  );
  program
    .command('watch')
    .description('the live instances of a service, then a line as each joins or leaves, until Ctrl-C')
    .argument('<service>', 'the service name in the registry')
    .action(async (service: string, _options, command: Command) => {
      const { watchCommand } = await import('./commands/watch.command.js');
      await watchCommand(service, globals(command));
    });
}

function addInspectionCommands(program: Command): void {
  program
    .command('services')
    .description('every service in the registry and its instances: address, health, since, tags, metadata')
    .action(async (_options, command: Command) => {
      const { servicesCommand } = await import('./commands/services.command.js');
      await servicesCommand(globals(command));
    });
  program
    .command('leader')
    .description('the leader of an election group, its epoch and since when (every group when none is named)')
    .argument('[group]', 'the election group (e.g. inventory)')
    .action(async (group: string | undefined, _options, command: Command) => {
      const { leaderCommand } = await import('./commands/leader.command.js');
      await leaderCommand(group, globals(command));
    });
  program
    .command('locks')
    .description('the locks held now: owner, fencing token, lease left')
    .argument('[prefix]', 'only keys starting with this (e.g. sku:)')
    .action(async (prefix: string | undefined, _options, command: Command) => {
      const { locksCommand } = await import('./commands/locks.command.js');
      await locksCommand(prefix, globals(command));
    });
}

function addToolCommands(program: Command): void {
  program
    .command('new')
    .description('generate code in the NestMesh repository')
    .command('service')
    .description('add a gRPC service: proto, contracts and apps/<name> (runs scripts/new-service.mjs)')
    .argument('<name>', 'lowercase letters, digits and hyphens (e.g. billing)')
    .action(async (name: string) => {
      const { newServiceCommand } = await import('./commands/new-service.command.js');
      await newServiceCommand(name);
    });
}

/**
 * The nestmesh command line: global options, then one sub-command each. Commands load their
 * libraries when run, so that `--help` answers at once. Commander's own errors (an unknown
 * option, a missing argument) exit with the usage code, its help and version with 0; every
 * sub-command inherits that and the output settings, being created after them.
 */
export function createProgram(version: string): Command {
  const program = new Command('nestmesh')
    .description('See and poke a running NestMesh mesh: services, calls, health, leaders, locks.')
    .version(version)
    .addOption(new Option('--discovery <url>', 'the registry (etcd://…, consul://…)').env('DISCOVERY_URL'))
    .addOption(
      new Option('--election <url>', 'the election backend (redis://…, etcd://…; default: REDIS_URL)').env(
        'ELECTION_URL',
      ),
    )
    .addOption(new Option('--redis <url>', 'the lock backend (redis://…)').env('REDIS_URL'))
    .option('--json', 'machine output: JSON (one document per line for streams)')
    .exitOverride()
    .configureOutput({
      outputError: (text, write) => write(`nestmesh: ${text.replace(/^error: /, '')}`),
    });
  program.configureHelp({ sortSubcommands: true });
  addInspectionCommands(program);
  addCallCommands(program);
  addToolCommands(program);
  return program;
}

/** Commander's exit codes as ours: help and version stay 0, every parse error is a usage error. */
export function commanderExitCode(exitCode: number): number {
  return exitCode === 0 ? EXIT_CODES.ok : EXIT_CODES.usage;
}
